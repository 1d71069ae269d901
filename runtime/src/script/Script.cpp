// jitprobe::Script: load (compile + verify), attach, check, accessors.
#include "ScriptParts.h"
#include "MetricDirectives.h"
#include "symbolize/Symbolizer.h"
#include "jitprobe/common/Errors.h"
#include "jitprobe/common/UniqueFd.h"
#include "jitprobe/frontend/Frontend.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace jitprobe {

Script::Script() : impl_(std::make_unique<Impl>()) {}
Script::~Script() = default; // BPF detaches; BlockedCommand ends a command still running

namespace {

// Probe sources are a few KB; a cap keeps a wrong file (a log, a disk image) from eating memory
// and minutes of parsing.
constexpr std::size_t kMaxSource = 4u << 20;

// PATH opened once and checked through its fd (no stat-then-open race): a regular file within
// the cap. O_NONBLOCK: opening a FIFO must not wait for a writer.
Result<common::UniqueFd> openSource(const std::string &path) {
    common::UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!file)
        return detail::errnoStatus(errno, path + ": cannot read");
    struct stat st {};
    if (::fstat(file.get(), &st) != 0)
        return detail::errnoStatus(errno, path + ": cannot read");
    if (!S_ISREG(st.st_mode))
        return Status(EINVAL, path + ": not a regular file (" +
                                  (S_ISFIFO(st.st_mode)  ? "a FIFO"
                                   : S_ISCHR(st.st_mode) ? "a character device"
                                   : S_ISDIR(st.st_mode) ? "a directory"
                                                         : "a special file") +
                                  "); probe sources are read from regular files only");
    if (static_cast<std::size_t>(st.st_size) > kMaxSource)
        return Status(EFBIG, path + ": source is larger than " + std::to_string(kMaxSource >> 20) +
                                 " MiB; probe sources are small C files (is this the right file?)");
    ::fcntl(file.get(), F_SETFL, ::fcntl(file.get(), F_GETFL) & ~O_NONBLOCK);
    return file;
}

// Reads FD to its end, at most kMaxSource + 1 bytes (a file growing past the cap after fstat).
Result<std::string> readCapped(int fd, const std::string &path) {
    std::string text;
    char chunk[1 << 16];
    while (text.size() <= kMaxSource) {
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return detail::errnoStatus(errno, path + ": cannot read");
        if (n == 0)
            break;
        text.append(chunk, static_cast<std::size_t>(n));
    }
    if (text.size() > kMaxSource)
        return Status(EFBIG, path + ": source is larger than " + std::to_string(kMaxSource >> 20) +
                                 " MiB; probe sources are small C files (is this the right file?)");
    return text;
}

Result<std::string> readSourceFile(const std::string &path) {
    Result<common::UniqueFd> file = openSource(path);
    if (!file.ok())
        return file.status();
    return readCapped(file->get(), path);
}

// Empty text and binary files are not probe sources.
Status checkProbeText(const std::string &text, const std::string &name) {
    if (text.starts_with("JITPRJPO")) // the portable object magic (cache/PortableObject.h)
        return Status(EINVAL, name + ": a jitprobe portable object, not C source: name it "
                                     "FILE.jpo (the .jpo suffix selects the object loader)");
    if (text.find_first_not_of(" \t\r\n\f\v") == std::string::npos)
        return Status(EINVAL, name + ": empty source (no probes)");
    // A NUL (or a run of other control bytes) means a binary file, not C source.
    std::size_t control = 0;
    for (unsigned char c : text)
        if (c == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v'))
            control += c == 0 ? text.size() : 1;
    if (control * 20 > text.size())
        return Status(EINVAL, name + ": not a text source file");
    return Status::OK();
}

} // namespace

Result<std::string> read_probe_source(const std::string &path) {
    // "-": standard input (a pipe or a terminal), under the same size cap.
    Result<std::string> read = path == "-" ? readCapped(STDIN_FILENO, "<stdin>") : readSourceFile(path);
    if (!read.ok())
        return read;
    if (Status s = checkProbeText(*read, probe_source_name(path)); !s.ok())
        return s;
    return read;
}

std::string probe_source_name(const std::string &path) { return path == "-" ? "<stdin>" : path; }

Status Script::load_file(const std::string &path, const std::vector<std::string> &cflags, ScriptOptions options) {
    if (options.file_name == "<probe>")
        options.file_name = probe_source_name(path);
    if (path.ends_with(".jpo"))
        return load_object_file(path, cflags, options);
    Result<std::string> source = read_probe_source(path);
    if (!source.ok())
        return source.status();
    return load(*source, cflags, options);
}

Status Script::load(const std::string &source, const std::vector<std::string> &cflags, const ScriptOptions &options) {
    if (impl_->loaded)
        return Status(EALREADY, "script already loaded: use a new jitprobe::Script");
    impl_->options = options;
    std::vector<std::string> flags = cflags;
    // -DTARGET_PID only for sources that use it: the pid differs every run and would make every
    // `run -c` a fresh compile (an object cache miss).
    bool wants_pid = source.find("TARGET_PID") != std::string::npos;
    if (!options.command.empty()) {
        // Fork first, blocked: the pid must be known at compile time for TARGET_PID.
        impl_->command = std::make_unique<BlockedCommand>();
        if (Status s = impl_->command->start(options.command); !s.ok())
            return s;
        if (wants_pid)
            flags.push_back("-DTARGET_PID=" + std::to_string(impl_->command->pid()));
    } else if (options.target_pid > 0 && wants_pid) {
        flags.push_back("-DTARGET_PID=" + std::to_string(options.target_pid));
    }
    return impl_->init_and_load(
        [&](const InitOptions &init) { return impl_->bpf.init(source, flags, init); }, &source);
}

Status Script::load_object_file(const std::string &path, const std::vector<std::string> &cflags,
                                const ScriptOptions &options) {
    if (impl_->loaded)
        return Status(EALREADY, "script already loaded: use a new jitprobe::Script");
    // What the compiler would have used is compiled in: say so rather than ignore it.
    if (!cflags.empty() || options.target_pid > 0)
        return Status(EINVAL, path + ": a portable object is already compiled: give -D/-I/-p "
                                     "(TARGET_PID) to `jitprobe build`, not here");
    impl_->options = options;
    if (!options.command.empty()) {
        impl_->command = std::make_unique<BlockedCommand>();
        if (Status s = impl_->command->start(options.command); !s.ok())
            return s;
    }
    return impl_->init_and_load(
        [&](const InitOptions &init) { return impl_->bpf.init_file(path, init); });
}

Status Script::Impl::init_and_load(const std::function<Status(const InitOptions &)> &init_fn,
                                   const std::string *source) {
    InitOptions init;
    init.file_name = options.file_name;
    init.use_cache = options.use_cache;
    init.cache_dir = options.cache_dir;
    init.want_rewritten = options.want_rewritten;
    init.load_programs = false; // load separately, to time the verifier on its own
    init.defer_rejected_functions = false; // the CLI reports every rejected function
    init.extern_tables_local = options.extern_tables_local;
    // -p PID: @attach uprobes resolve short names in that process and fire in it alone (a
    // command's pid is no use here: it is still jitprobe's fork until it execs).
    init.attach_pid = options.command.empty() ? options.target_pid : -1;
    init.compile_cancelled = [this] { return stopRequested(); };
    auto t0 = std::chrono::steady_clock::now();
    Status s = init_fn(init);
    times.compile_ms = msSince(t0);
    if (s.ok() && options.require_programs && bpf.programs().empty())
        s = Status(EINVAL, options.file_name + ": " + frontend::kNoProbesFound + " (" +
                               frontend::kNoProbesHint + ")");
    if (s.ok() && source) // `// @metric` directives, like the frontend's own, fail before the load
        s = checkMetricDirectives(*source);
    if (s.ok()) {
        auto t1 = std::chrono::steady_clock::now();
        s = bpf.load();
        times.load_ms = msSince(t1);
    }
    if (!s.ok()) {
        command.reset(); // the blocked child exits without running anything
        return s;
    }
    loaded = true;
    return Status::OK();
}

Status Script::Impl::checkMetricDirectives(const std::string &source) const {
    if (source.find("@metric") == std::string::npos)
        return Status::OK();
    auto directives = metrics::parse_metric_directives(source, options.file_name);
    if (!directives.ok())
        return directives.status();
    return metrics::check_metric_directives(*directives, bpf, options.file_name);
}

Status Script::attach_all() {
    if (!impl_->loaded)
        return Status(EINVAL, "attach_all: no script loaded");
    auto t0 = std::chrono::steady_clock::now();
    Status s = impl_->bpf.attach_all();
    impl_->times.attach_ms = msSince(t0);
    impl_->attached = s.ok();
    return s;
}

std::vector<ProgramRecord> Script::programs() const {
    std::vector<ProgramRecord> out;
    for (const ProgramLoadInfo &p : impl_->bpf.programs())
        out.push_back(ProgramRecord{p.name, p.prog_type, p.insns});
    return out;
}

Result<std::vector<ProgramRecord>> Script::check(const std::string &source, const std::vector<std::string> &cflags,
                                                 const ScriptOptions &options) {
    if (Status s = load(source, cflags, options); !s.ok())
        return s;
    return programs();
}

std::vector<Record> Script::results(bool symbolize_stacks) { return impl_->build_results(symbolize_stacks); }

Status Script::clear_maps() {
    for (const frontend::MapSpec &spec : impl_->bpf.program_info().maps) {
        if (is_non_result_kind(spec.kind) || spec.kind == "stack_trace" || spec.internal)
            continue;
        BPFTableRaw table = impl_->bpf.get_raw_table(spec.name);
        if (table.valid())
            if (Status s = table.clear(); !s.ok())
                return s;
    }
    return Status::OK();
}

ScriptPhaseTimes Script::phase_times() const {
    ScriptPhaseTimes t = impl_->times;
    static_cast<PhaseTimes &>(t) = impl_->bpf.phase_times(); // load/attach timed there too
    return t;
}
pid_t Script::command_pid() const { return impl_->command ? impl_->command->pid() : -1; }
int Script::command_exit_code() const { return impl_->command ? impl_->command->exit_code() : -1; }
std::string Script::rewritten_source() const { return impl_->bpf.rewritten_source(); }
BPF &Script::bpf() { return impl_->bpf; }

} // namespace jitprobe
