// BPF lifecycle: compile (through jitprobe-compiler), open, load (with verifier
// diagnostics), introspection and teardown. Attaching lives in BPFAttach.cpp, tables in
// BPFTable.cpp, buffers in PerfBuffer.cpp.
#include "jitprobe/common/Stopwatch.h"
#include "BPFImpl.h"
#include "BPFWildcards.h"

#include "compiler/CompilerProcess.h"
#include "jitprobe/common/Errors.h"
#include "libbpf/LibbpfLog.h"
#include "SealedFile.h"
#include "attach/Tracefs.h"
#include "VerifierExplain.h"
#include "VerifierLog.h"

#include <bpf/bpf.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <algorithm>
#include <cstring>
#include <memory>

namespace jitprobe {
namespace {

using detail::errnoText;

using common::msSince;

std::string programNames(bpf_object *obj) {
    std::string names;
    bpf_program *prog;
    bpf_object__for_each_program(prog, obj) {
        names += (names.empty() ? "'" : ", '") + std::string(bpf_program__name(prog)) + "'";
    }
    return names.empty() ? "none" : names;
}

// Programs in sections libbpf does not know get their type from the frontend's ProgramSpec.
void applyProgramTypes(bpf_object *obj, const frontend::ProgramInfo &info) {
    bpf_program *prog;
    bpf_object__for_each_program(prog, obj) {
        const auto *spec = info.findProgram(bpf_program__name(prog));
        if (!spec || spec->prog_type.empty() || bpf_program__type(prog) != BPF_PROG_TYPE_UNSPEC)
            continue;
        for (int t = 1; t < 64; t++) { // libbpf returns null past the last known type
            const char *name = libbpf_bpf_prog_type_str(static_cast<bpf_prog_type>(t));
            if (name && spec->prog_type == name)
                bpf_program__set_type(prog, static_cast<bpf_prog_type>(t));
        }
    }
}

// BPF_TABLE_PINNED maps: libbpf reuses the map pinned at the path, or creates and pins it.
Status applyPinPaths(bpf_object *obj, const frontend::ProgramInfo &info) {
    for (const auto &spec : info.maps) {
        if (spec.pin_path.empty())
            continue;
        bpf_map *map = bpf_object__find_map_by_name(obj, spec.name.c_str());
        int err = map ? bpf_map__set_pin_path(map, spec.pin_path.c_str()) : -ENOENT;
        if (err)
            return Status(-err, "map '" + spec.name + "': cannot pin at '" + spec.pin_path +
                                    "': " + errnoText(-err));
    }
    return Status::OK();
}

// Program types whose context is a packet: which one a function is depends on where it is
// attached, so load_func / attach_* may choose among them (tracing types come from sections).
bool isNetworkType(int type) {
    return type == BPF_PROG_TYPE_SOCKET_FILTER || type == BPF_PROG_TYPE_SCHED_CLS ||
           type == BPF_PROG_TYPE_SCHED_ACT || type == BPF_PROG_TYPE_XDP ||
           type == BPF_PROG_TYPE_CGROUP_SKB;
}

// The hint for a rejected network program: its context depends on where it is attached.
std::string contextHint(bpf_prog_type type, const char *log) {
    if (!isNetworkType(type) || !std::strstr(log, "invalid bpf_context access"))
        return "";
    const char *name = libbpf_bpf_prog_type_str(type);
    return std::string("hint: it was loaded as a ") + (name ? name : "?") +
           " program, whose context does not allow this access; the attach point decides the "
           "type: // @attach tc:IFACE:ingress|egress (sched_cls: skb->data, data_end), "
           "xdp:IFACE[:generic|native], socket:IFACE (socket_filter) or "
           "cgroup:/PATH:ingress|egress (cgroup_skb); in C++, attach_tc/attach_xdp/... or "
           "InitOptions::program_types\n";
}

bool isFtraceBasedType(bpf_program *prog) {
    auto type = bpf_program__type(prog);
    return type == BPF_PROG_TYPE_TRACING || type == BPF_PROG_TYPE_LSM ||
           type == BPF_PROG_TYPE_EXT;
}

// The Status for a failed bpf_object__load: the rejected program's verifier log if there is
// one, otherwise what libbpf said.
// A verifier log buffer per program: written by the kernel only when a load fails (libbpf then
// retries with logging), so it is not zeroed (1 MiB of memset a program), only terminated.
using LogBuffers = std::vector<std::unique_ptr<char[]>>;

Status describeLoadFailure(bpf_object *obj, int err, const LogBuffers &logs,
                           const detail::LibbpfLogCapture &capture) {
    size_t i = 0;
    bpf_program *prog;
    bpf_object__for_each_program(prog, obj) {
        const char *log = logs[i++].get();
        std::string name = bpf_program__name(prog);
        if (isFtraceBasedType(prog) && std::abs(err) == EPERM && ::geteuid() == 0 &&
            capture.text().find("'" + name + "'") != std::string::npos)
            return Status(EPERM, "prog '" + name + "': load failed: " + errnoText(err) +
                                     ": this kernel blocks fentry/fexit/LSM programs "
                                     "(ftrace function hooking is not available)");
        if (std::string target = detail::missingAttachTarget(capture.text(), name); !target.empty())
            return Status(std::abs(err), "prog '" + name + "': load failed: " + errnoText(err) +
                                             ": this kernel has no function '" + target +
                                             "' to attach to (not in its BTF: newer than this "
                                             "kernel, in a module, or not built)");
        if (log[0] == '\0')
            continue;
        return Status(std::abs(err), "prog '" + name + "': verifier rejected the program: " +
                                         errnoText(err) + "\n" +
                                         detail::formatExplanation(detail::explainVerifierLog(log)) +
                                         contextHint(bpf_program__type(prog), log) +
                                         "verifier log (last lines):\n" +
                                         detail::relevantVerifierLines(log));
    }
    return Status(std::abs(err), "object '" + std::string(bpf_object__name(obj)) +
                                     "': failed to load: " + errnoText(err) + capture.summary());
}

// PROG (already loaded) loaded once more as TYPE from its final instructions (maps relocated).
Result<common::UniqueFd> loadCopy(bpf_program *prog, int type, int expected, size_t log_size) {
    std::string name = bpf_program__name(prog);
    std::vector<char> log(std::max<size_t>(log_size, 1), '\0');
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_size = uint32_t(log.size()),
                .log_buf = log.data());
    if (expected >= 0)
        opts.expected_attach_type = static_cast<bpf_attach_type>(expected);
    // libbpf does not expose the object's license; probes are GPL (the frontend's prelude, BCC).
    const char *license = "GPL";
    int fd = bpf_prog_load(static_cast<bpf_prog_type>(type), name.substr(0, 15).c_str(), license,
                           bpf_program__insns(prog), bpf_program__insn_cnt(prog), &opts);
    if (fd >= 0)
        return common::UniqueFd(fd);
    int err = errno;
    const char *tname = libbpf_bpf_prog_type_str(static_cast<bpf_prog_type>(type));
    std::string msg = "prog '" + name + "': cannot load it as a " + (tname ? tname : "?") +
                      " program: " + errnoText(err);
    if (log[0] != '\0') {
        msg += "\n" + contextHint(static_cast<bpf_prog_type>(type), log.data()) +
               "verifier log (last lines):\n" + detail::relevantVerifierLines(log.data());
    }
    return Status(err, msg);
}

} // namespace

BPF::Impl::~Impl() { releaseAll(); }

void BPF::Impl::closeCoreBtf() { core_btf_fd.reset(); }

// The minimized kernel BTF of init's object as a path for libbpf's btf_custom_path ("" when
// there is none: libbpf then reads the full kernel BTF, as it would anyway).
std::string BPF::Impl::openCoreBtf() {
    closeCoreBtf();
    times.core_btf_minimized = false;
    if (core_btf.empty())
        return "";
    // The bytes stay: a deferred function's load (loadDeferred) opens the object again.
    Result<detail::SealedFile> file = detail::sealedMemoryFile(core_btf, "jitprobe-core-btf");
    if (!file.ok()) {
        times.core_btf_note = file.status().msg() + "; CO-RE relocates against the full kernel BTF";
        return "";
    }
    core_btf_fd.reset(file->fd);
    times.core_btf_minimized = true;
    return file->path;
}

void BPF::Impl::releaseAll() {
    joinDetaching();
    detail::destroyAttachments(std::move(attachments)); // links first: they reference programs and perf event fds
    attachments.clear();
    wildcard_requests.clear();
    retyped.clear();
    deferred_objects.clear();
    deferred.clear();
    perf_buffers.clear();
    ring_buffer.reset();
    perf_event_fds.clear();
    object.reset();
    elf.clear();
    closeCoreBtf();
    loaded = false;
}

Status BPF::Impl::ensureTracefs() {
    if (!tracefs_root.empty())
        return Status::OK();
    auto root = detail::Tracefs::ensureMounted();
    if (!root.ok())
        return root.status();
    tracefs_root = root.value();
    return Status::OK();
}

Status BPF::Impl::ensureLoaded() {
    if (!object)
        return Status(EINVAL, "no BPF object: call init() or init_object() first");
    if (loaded)
        return Status::OK();
    if (!load_failure.ok())
        return load_failure; // libbpf cannot retry a failed load
    // BCC loads a function only when load_func/attach_* asks for it, as the type they need: a
    // function with no attach point the verifier rejects (as the type guessed for it) is left
    // unloaded, with its rejection, and the object is opened and loaded again without it.
    for (;;) {
        std::string rejected;
        if (Status s = loadObject(object.get(), &rejected); s.ok() || rejected.empty()) {
            load_failure = s;
            break;
        } else {
            const auto *spec = info.findProgram(rejected);
            if (!options.defer_rejected_functions || !spec || !spec->attach.empty() ||
                deferred.count(rejected)) {
                load_failure = s;
                break;
            }
            deferred.emplace(rejected, s);
        }
        object.reset();
        if (Status s = openConfigured(); !s.ok()) {
            load_failure = s;
            break;
        }
    }
    loaded = load_failure.ok();
    if (loaded)
        publishSharedTables();
    return load_failure;
}

Status BPF::Impl::loadObject(bpf_object *obj, std::string *rejected) {
    LogBuffers logs;
    bpf_program *prog;
    bpf_object__for_each_program(prog, obj) {
        logs.push_back(std::make_unique_for_overwrite<char[]>(std::max<size_t>(options.verifier_log_size, 1)));
        logs.back()[0] = '\0';
        bpf_program__set_log_buf(prog, logs.back().get(), options.verifier_log_size);
    }
    // libbpf caches the CPU count on first use by reading a sysfs file; do it now, not inside a
    // caller's traced window (get_raw_table after attach would add an openat of its own).
    (void)libbpf_num_possible_cpus();
    detail::LibbpfLogCapture capture;
    auto load_start = std::chrono::steady_clock::now();
    int err = bpf_object__load(obj);
    times.load_ms += msSince(load_start);
    closeCoreBtf(); // libbpf read the minimized kernel BTF (if any) during the load
    Status failure;
    if (err != 0)
        failure = describeLoadFailure(obj, err, logs, capture);
    size_t i = 0;
    bpf_object__for_each_program(prog, obj) {
        if (err != 0 && rejected && rejected->empty() && logs[i][0] != '\0')
            *rejected = bpf_program__name(prog);
        i++;
        bpf_program__set_log_buf(prog, nullptr, 0);
    }
    return failure;
}

Result<bpf_program *> BPF::Impl::loadDeferred(const std::string &func, int type, int expected) {
    if (auto d = deferred.find(func); d != deferred.end() && type < 0)
        return d->second; // asked for as it is: the type the verifier rejected
    std::string key = func + "|" + std::to_string(type) + "|" + std::to_string(expected);
    if (auto it = deferred_objects.find(key); it != deferred_objects.end())
        return bpf_object__find_program_by_name(it->second.get(), func.c_str());
    // The ELF once more, loading FUNC alone as TYPE, on this object's maps (none pinned again).
    auto opened = openObject(false);
    if (!opened.ok())
        return opened.status();
    bpf_object *obj = opened->get();
    bpf_program *prog, *wanted = nullptr;
    bpf_object__for_each_program(prog, obj) {
        bool it = func == bpf_program__name(prog);
        bpf_program__set_autoload(prog, it);
        wanted = it ? prog : wanted;
    }
    bpf_program__set_type(wanted, static_cast<bpf_prog_type>(type));
    if (expected >= 0)
        bpf_program__set_expected_attach_type(wanted, static_cast<bpf_attach_type>(expected));
    bpf_map *map;
    bpf_object__for_each_map(map, obj) {
        bpf_map *mine = bpf_object__find_map_by_name(object.get(), bpf_map__name(map));
        if (mine && bpf_map__fd(mine) >= 0 && bpf_map__reuse_fd(map, bpf_map__fd(mine)) != 0)
            return detail::errnoStatus(errno, "prog '" + func + "': cannot reuse map '" +
                                                  bpf_map__name(map) + "'");
    }
    if (Status s = loadObject(obj, nullptr); !s.ok())
        return s;
    deferred_objects.emplace(key, std::move(*opened));
    return wanted;
}

Result<bpf_program *> BPF::Impl::findProgram(const std::string &func, int type) {
    if (Status s = ensureLoaded(); !s.ok())
        return s;
    if (deferred.count(func))
        return loadDeferred(func, type, -1);
    bpf_program *prog = bpf_object__find_program_by_name(object.get(), func.c_str());
    if (!prog)
        return Status(ENOENT, "no BPF program named '" + func + "' (programs: " +
                                  programNames(object.get()) + ")");
    // BCC: attach_* loads a function as the type its attach point needs; a function with no
    // attach point of its own, loaded as another type, is loaded once more as that type.
    const auto *spec = info.findProgram(func);
    if (type >= 0 && int(bpf_program__type(prog)) != type && options.defer_rejected_functions &&
        spec && spec->attach.empty())
        return loadDeferred(func, type, -1);
    return prog;
}

BPF::BPF() : impl_(std::make_unique<Impl>()) {}
BPF::~BPF() = default;
BPF::BPF(BPF &&other) noexcept : impl_(std::exchange(other.impl_, std::make_unique<Impl>())) {}
BPF &BPF::operator=(BPF &&other) noexcept {
    if (this != &other)
        impl_ = std::exchange(other.impl_, std::make_unique<Impl>());
    return *this;
}

// The API boundary: nothing thrown below (bad_alloc, a library's length_error) may reach a
// caller that was promised a Status.
Status BPF::init(const std::string &source, const std::vector<std::string> &cflags,
                 const InitOptions &opts) {
    try {
        return initUnguarded(source, cflags, opts);
    } catch (const std::bad_alloc &) {
        impl_->releaseAll();
        return Status(ENOMEM, opts.file_name + ": BPF::init: out of memory");
    } catch (const std::exception &e) {
        impl_->releaseAll();
        return Status(-1, opts.file_name + ": BPF::init failed: " + e.what());
    }
}

namespace {
// BCC's probes see the running kernel's LINUX_VERSION_CODE (its kernel headers define it) and
// test it in #if; added unless the caller's cflags define it. uname's "6.1.0-18-amd64" ->
// KERNEL_VERSION(6, 1, 0), the sublevel capped at 255 as the kernel's own header does.
std::vector<std::string> withKernelVersion(const std::vector<std::string> &cflags) {
    for (const auto &f : cflags)
        if (f.rfind("-DLINUX_VERSION_CODE", 0) == 0)
            return cflags;
    std::vector<std::string> out = cflags;
    utsname u{};
    unsigned major = 0, minor = 0, sub = 0;
    if (::uname(&u) == 0 && std::sscanf(u.release, "%u.%u.%u", &major, &minor, &sub) >= 2)
        out.push_back("-DLINUX_VERSION_CODE=" +
                      std::to_string((major << 16) + (minor << 8) + std::min(sub, 255u)));
    return out;
}
} // namespace

Status BPF::initUnguarded(const std::string &source, const std::vector<std::string> &cflags,
                          const InitOptions &opts) {
    if (impl_->object)
        return Status(EBUSY, "BPF::init: this BPF object is already initialized");
    detail::CompiledProbe probe;
    if (Status s = impl_->obtainObject(source, withKernelVersion(cflags), opts, probe); !s.ok())
        return s;
    impl_->diagnostics = std::move(probe.diagnostics);
    impl_->core_btf = std::move(probe.core_btf);
    if (opts.want_rewritten)
        impl_->rewritten = std::move(probe.rewritten);
    return init_object(std::move(probe.elf), std::move(probe.info), opts);
}

Status BPF::Impl::compileSource(const std::string &source, const std::vector<std::string> &cflags,
                                const InitOptions &opts, int pch_dir_fd, bool want_core_btf,
                                frontend::CompileResult &result) {
    // The frontend reads tracepoint format files from tracefs.
    Status tracefs = ensureTracefs();
    frontend::CompileOptions co;
    co.file_name = opts.file_name;
    co.cflags = cflags;
    co.want_core_btf = want_core_btf;
    // A source of maps alone is a valid BPF object, as in BCC (BPF(text=...) with shared or
    // user-filled tables); the CLI's "no probes found" is Script's (ScriptOptions), so a cached
    // object serves both.
    co.require_programs = false;
    if (!opts.kernel_btf_path.empty())
        co.kernel_btf_path = opts.kernel_btf_path;
    if (tracefs.ok())
        co.tracefs_path = tracefs_root;
    detail::CompileLimits limits;
    Result<std::chrono::milliseconds> timeout = detail::compileTimeout(opts.compile_timeout);
    if (!timeout.ok())
        return detail::withContext(timeout.status(), opts.file_name);
    limits.timeout = *timeout;
    limits.cancelled = opts.compile_cancelled;
    limits.cache_dir_fd = pch_dir_fd;
    if (Status s = detail::compileInChildProcess(source, co, result, limits); !s.ok())
        return s;
    if (!result.ok) {
        diagnostics = result.diagnostics; // kept for BPF::diagnostics() after the failed init
        std::string msg = frontend::formatDiagnostics(result.diagnostics);
        if (msg.empty())
            msg = opts.file_name + ": compilation failed (no diagnostics)";
        while (!msg.empty() && msg.back() == '\n')
            msg.pop_back();
        if (!tracefs.ok())
            msg += "\nnote: " + tracefs.msg();
        return Status(EINVAL, msg);
    }
    return Status::OK();
}

Result<detail::ObjectPtr> BPF::Impl::openObject(bool pin_maps) {
    detail::LibbpfLogCapture capture;
    LIBBPF_OPTS(bpf_object_open_opts, open_opts);
    open_opts.object_name = "jitprobe";
    if (!options.kernel_btf_path.empty())
        open_opts.btf_custom_path = options.kernel_btf_path.c_str();
    std::string core_btf_path = openCoreBtf();
    if (!core_btf_path.empty())
        open_opts.btf_custom_path = core_btf_path.c_str(); // libbpf copies the path
    auto open_start = std::chrono::steady_clock::now();
    detail::ObjectPtr obj(bpf_object__open_mem(elf.data(), elf.size(), &open_opts));
    times.open_ms += msSince(open_start);
    if (!obj) {
        int err = errno;
        return Status(err, options.file_name + ": cannot open the BPF object: " + errnoText(err) +
                               capture.summary());
    }
    applyProgramTypes(obj.get(), info);
    for (const auto &[name, type] : options.program_types) {
        bpf_program *prog = bpf_object__find_program_by_name(obj.get(), name.c_str());
        if (!prog)
            return Status(ENOENT, options.file_name + ": InitOptions::program_types names '" +
                                      name + "', which is not a BPF program (programs: " +
                                      programNames(obj.get()) + ")");
        bpf_program__set_type(prog, static_cast<bpf_prog_type>(type));
    }
    if (Status s = pin_maps ? applyPinPaths(obj.get(), info) : Status::OK(); !s.ok())
        return s;
    return obj;
}

Status BPF::Impl::openConfigured() {
    auto opened = openObject(true);
    if (!opened.ok()) {
        if (!object)
            elf.clear();
        return opened.status();
    }
    object = std::move(*opened);
    for (const auto &[name, why] : deferred)
        if (bpf_program *prog = bpf_object__find_program_by_name(object.get(), name.c_str()))
            bpf_program__set_autoload(prog, false);
    if (Status s = applyExternTables(options.extern_tables_local); !s.ok())
        return s;
    detail::presetMultiAttachTypes(*this);
    return Status::OK();
}

Status BPF::init_object(std::vector<uint8_t> elf, frontend::ProgramInfo info,
                        const InitOptions &opts) {
    if (impl_->object)
        return Status(EBUSY, "BPF::init_object: this BPF object is already initialized");
    if (elf.empty())
        return Status(EINVAL, opts.file_name + ": empty BPF object");
    impl_->options = opts;
    impl_->info = std::move(info);
    impl_->elf = std::move(elf);
    if (Status s = impl_->openConfigured(); !s.ok())
        return s;
    return opts.load_programs ? impl_->ensureLoaded() : Status::OK();
}

Status BPF::load() { return impl_->ensureLoaded(); }

Status BPF::load_func(const std::string &func, int prog_type, int &fd) {
    auto got = impl_->programFdAs(func, prog_type);
    fd = got.ok() ? *got : -1;
    return got.ok() ? Status::OK() : got.status();
}

Result<int> BPF::Impl::programFdAs(const std::string &func, int type, int expected) {
    if (!object)
        return Status(EINVAL, "no BPF object: call init() or init_object() first");
    bpf_program *prog = bpf_object__find_program_by_name(object.get(), func.c_str());
    if (Status s = ensureLoaded(); s.ok() && deferred.count(func)) {
        auto got = loadDeferred(func, type, expected);
        return got.ok() ? Result<int>(bpf_program__fd(*got)) : Result<int>(got.status());
    }
    bool choosable = prog && isNetworkType(type) && isNetworkType(bpf_program__type(prog));
    if (choosable && !loaded && load_failure.ok()) { // BCC: load_func chooses the type
        bpf_program__set_type(prog, static_cast<bpf_prog_type>(type));
        if (expected >= 0)
            bpf_program__set_expected_attach_type(prog, static_cast<bpf_attach_type>(expected));
    }
    auto found = findProgram(func);
    if (!found.ok())
        return found.status();
    prog = *found;
    bool same_type = type < 0 || int(bpf_program__type(prog)) == type;
    bool same_attach = expected < 0 || int(bpf_program__expected_attach_type(prog)) == expected;
    // The attach type matters to cgroup_skb and to kprobe programs (kprobe.multi/uprobe.multi).
    if (same_type &&
        (same_attach || (type != BPF_PROG_TYPE_CGROUP_SKB && type != BPF_PROG_TYPE_KPROBE)))
        return bpf_program__fd(prog);
    if (!same_type && !choosable) // tracing programs: the section decides
        return Status(EINVAL, "prog '" + func + "': is a " +
                                  libbpf_bpf_prog_type_str(bpf_program__type(prog)) +
                                  " program, not the requested program type " +
                                  std::to_string(type));
    std::string key = func + "|" + std::to_string(type) + "|" + std::to_string(expected);
    if (auto it = retyped.find(key); it != retyped.end())
        return it->second.get();
    auto copy = loadCopy(prog, type, expected, options.verifier_log_size);
    if (!copy.ok())
        return copy.status();
    int fd = copy->get();
    retyped.emplace(key, std::move(*copy));
    return fd;
}

const frontend::ProgramInfo &BPF::program_info() const { return impl_->info; }
const std::vector<frontend::Diagnostic> &BPF::diagnostics() const { return impl_->diagnostics; }
struct bpf_object *BPF::raw_object() const { return impl_->object.get(); }
std::string BPF::rewritten_source() const { return impl_->rewritten; }
bool BPF::loaded() const { return impl_->loaded; }

std::vector<ProgramLoadInfo> BPF::programs() const {
    std::vector<ProgramLoadInfo> out;
    if (!impl_->object)
        return out;
    bpf_program *prog;
    bpf_object__for_each_program(prog, impl_->object.get()) {
        ProgramLoadInfo p;
        p.name = bpf_program__name(prog);
        p.section = bpf_program__section_name(prog);
        const char *type = libbpf_bpf_prog_type_str(bpf_program__type(prog));
        p.prog_type = type ? type : "unspec";
        p.fd = bpf_program__fd(prog);
        if (p.fd >= 0) {
            bpf_prog_info info{};
            __u32 len = sizeof(info);
            if (bpf_obj_get_info_by_fd(p.fd, &info, &len) == 0)
                p.insns = info.xlated_prog_len / 8; // sizeof(struct bpf_insn)
        }
        out.push_back(std::move(p));
    }
    return out;
}

} // namespace jitprobe
