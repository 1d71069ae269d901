// Attaching and detaching programs: the BCC-named attach_* / detach_* methods and attach_all.
#include "BPFImpl.h"
#include "jitprobe/common/UniqueFd.h"

#include "attach/AttachTarget.h"
#include "attach/BinaryLookup.h"
#include "attach/ElfOffsets.h"
#include "attach/MultiLinks.h"
#include "attach/Wildcards.h"
#include "BPFWildcards.h"
#include "jitprobe/common/CloseMatches.h"
#include "jitprobe/common/Errors.h"
#include "jitprobe/common/Tracepoints.h"
#include "libbpf/LibbpfLog.h"
#include "attach/Tracefs.h"

#include <fnmatch.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <set>

namespace jitprobe {
namespace {

using detail::Attachment;
using detail::errnoText;
using detail::LinkPtr;

std::string mapKey(const std::string &kind, const std::string &target_key,
                   const std::string &function) {
    return kind + "|" + target_key + "|" + function;
}

Status attachFailure(const std::string &func, const std::string &what, int err,
                     const detail::LibbpfLogCapture &capture, const std::string &hint = "") {
    return Status(err ? err : -1, "prog '" + func + "': failed to attach " + what + ": " +
                                      errnoText(err) + hint + capture.summary());
}

bool pathExists(const std::string &path) { return ::access(path.c_str(), F_OK) == 0; }

std::string tracepointSuggestion(const std::string &root, const std::string &wanted) {
    return common::didYouMean(common::closeMatches(wanted, common::listTracepoints(root)));
}

// Raw tracepoints are named by event only ("sched_switch").
std::string rawTracepointSuggestion(const std::string &root, const std::string &wanted) {
    std::set<std::string> events;
    for (const auto &tp : common::listTracepoints(root))
        events.insert(tp.substr(tp.find(':') + 1));
    return common::didYouMean(
        common::closeMatches(wanted, std::vector<std::string>(events.begin(), events.end())));
}

std::string hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

// Why the kernel refused a kprobe, in the user's terms (the errno alone is cryptic).
std::string kprobeFailureHint(int err, const std::string &func, uint64_t offset, bool ret) {
    if (err == ENOENT)
        return ": no such kernel function (or not probeable)";
    if (err == EILSEQ && offset)
        return ": offset " + hex(offset) + " is not at an instruction boundary of " + func;
    if (err == EINVAL && offset && ret)
        return ": a kretprobe attaches at the function's entry only (offset 0)";
    if (err == EINVAL && !offset)
        return ": the kernel refuses to probe " + func +
               " (notrace or `inline`, or on its kprobe blacklist; `jitprobe list functions` "
               "shows the traceable ones)";
    return "";
}

std::string uprobeKey(const std::string &binary, const std::string &symbol, uint64_t addr,
                      uint64_t offset, pid_t pid) {
    std::string key = binary + ":" + (addr ? hex(addr) : symbol);
    if (offset)
        key += "+" + hex(offset);
    return pid >= 0 ? key + " pid " + std::to_string(pid) : key;
}

int openPerfEvent(uint32_t type, uint32_t config, uint64_t period, uint64_t freq, pid_t pid,
                  int cpu) {
    perf_event_attr attr{};
    attr.size = sizeof(attr);
    attr.type = type;
    attr.config = config;
    if (freq) {
        attr.freq = 1;
        attr.sample_freq = freq;
    } else {
        attr.sample_period = period;
    }
    return static_cast<int>(
        ::syscall(__NR_perf_event_open, &attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

} // namespace

bool BPF::Impl::isAttached(const std::string &kind, const std::string &target_key,
                           const std::string &function) const {
    return attachments.count(mapKey(kind, target_key, function)) != 0;
}

Status BPF::Impl::addAttachment(Attachment attachment) {
    std::string key = mapKey(attachment.kind, attachment.target_key, attachment.function);
    if (attachments.count(key))
        return Status(EEXIST, "prog '" + attachment.function + "': already attached to " +
                                  attachment.kind + " '" + attachment.target_key + "'");
    attachments.emplace(std::move(key), std::move(attachment));
    return Status::OK();
}

Status BPF::Impl::removeAttachments(const std::string &kind, const std::string &target_key,
                                    const std::string &what) {
    size_t removed = 0;
    for (const detail::WildcardRequest &r : wildcard_requests)
        if (r.kind == kind && r.request_key == target_key)
            for (const std::string &key : r.attachment_keys)
                removed += attachments.erase(key);
    removed += std::erase_if(attachments, [&](const auto &entry) {
        const std::string &key = entry.second.target_key;
        return entry.second.kind == kind &&
               (key == target_key || // a pattern detaches what it attached
                (detail::isWildcard(target_key) && fnmatch(target_key.c_str(), key.c_str(), 0) == 0));
    });
    dropStaleRequests();
    if (removed == 0)
        return Status(ENOENT, what + " is not attached");
    return Status::OK();
}

void BPF::Impl::dropStaleRequests() {
    std::erase_if(wildcard_requests, [&](const detail::WildcardRequest &r) {
        return std::none_of(r.attachment_keys.begin(), r.attachment_keys.end(),
                            [&](const std::string &key) { return attachments.count(key) != 0; });
    });
}

Status BPF::attach_tracepoint(const std::string &tracepoint, const std::string &probe_func) {
    if (detail::isWildcard(tracepoint))
        return detail::attachTracepointPattern(*this, *impl_, detail::globMatcher(tracepoint),
                                               tracepoint, probe_func);
    auto name = detail::parseTracepoint(tracepoint);
    if (!name.ok())
        return name.status();
    std::string key = name->category + ":" + name->event;
    auto prog = impl_->findProgram(probe_func, BPF_PROG_TYPE_TRACEPOINT);
    if (!prog.ok())
        return prog.status();
    if (Status s = impl_->ensureTracefs(); !s.ok())
        return detail::withContext(s, "prog '" + probe_func + "': tracepoint '" + key + "'");
    if (impl_->isAttached("tracepoint", key, probe_func))
        return Status(EEXIST, "prog '" + probe_func + "': already attached to tracepoint '" +
                                  key + "'");
    const std::string &root = impl_->tracefs_root;
    if (!pathExists(root + "/events/" + name->category + "/" + name->event))
        return Status(ENOENT, "prog '" + probe_func + "': tracepoint '" + key +
                                  "' does not exist on this kernel (no " + root + "/events/" +
                                  name->category + "/" + name->event + ")" +
                                  tracepointSuggestion(root, key));
    detail::LibbpfLogCapture capture;
    bpf_link *link =
        bpf_program__attach_tracepoint(*prog, name->category.c_str(), name->event.c_str());
    if (!link)
        return attachFailure(probe_func, "tracepoint '" + key + "'", errno, capture);
    Attachment a{"tracepoint", key, probe_func, {}, {}};
    a.links.emplace_back(link);
    return impl_->addAttachment(std::move(a));
}

Status BPF::detach_tracepoint(const std::string &tracepoint) {
    auto name = detail::parseTracepoint(tracepoint);
    if (!name.ok())
        return name.status();
    std::string key = name->category + ":" + name->event;
    return impl_->removeAttachments("tracepoint", key, "tracepoint '" + key + "'");
}

Status BPF::attach_raw_tracepoint(const std::string &tracepoint, const std::string &probe_func) {
    auto prog = impl_->findProgram(probe_func, BPF_PROG_TYPE_RAW_TRACEPOINT);
    if (!prog.ok())
        return prog.status();
    if (impl_->isAttached("raw_tracepoint", tracepoint, probe_func))
        return Status(EEXIST, "prog '" + probe_func + "': already attached to raw tracepoint '" +
                                  tracepoint + "'");
    detail::LibbpfLogCapture capture;
    bpf_link *link = bpf_program__attach_raw_tracepoint(*prog, tracepoint.c_str());
    if (!link) {
        int err = errno;
        std::string hint;
        if (err == ENOENT && impl_->ensureTracefs().ok())
            hint = ": no such tracepoint" + rawTracepointSuggestion(impl_->tracefs_root, tracepoint);
        return attachFailure(probe_func, "raw tracepoint '" + tracepoint + "'", err, capture, hint);
    }
    Attachment a{"raw_tracepoint", tracepoint, probe_func, {}, {}};
    a.links.emplace_back(link);
    return impl_->addAttachment(std::move(a));
}

Status BPF::detach_raw_tracepoint(const std::string &tracepoint) {
    return impl_->removeAttachments("raw_tracepoint", tracepoint,
                                    "raw tracepoint '" + tracepoint + "'");
}

Status BPF::attach_kprobe(const std::string &kernel_func, const std::string &probe_func,
                          uint64_t kernel_func_offset, bpf_probe_attach_type attach_type) {
    const bool ret = attach_type == BPF_PROBE_RETURN;
    const std::string kind = ret ? "kretprobe" : "kprobe";
    if (detail::isWildcard(kernel_func) && kernel_func_offset == 0)
        return detail::attachKprobePattern(*this, *impl_, detail::globMatcher(kernel_func),
                                           kernel_func, probe_func, attach_type);
    std::string key = kernel_func + (kernel_func_offset ? "+" + hex(kernel_func_offset) : "");
    auto prog = impl_->findProgram(probe_func, BPF_PROG_TYPE_KPROBE);
    if (!prog.ok())
        return prog.status();
    (void)impl_->ensureTracefs(); // legacy kprobes need it; the PMU path does not
    if (!detail::kernelHasKprobes(impl_->tracefs_root))
        return Status(EOPNOTSUPP, "prog '" + probe_func + "': " + kind + " '" + key +
                                      "': this kernel has no kprobe support "
                                      "(CONFIG_KPROBES is not set)");
    if (impl_->isAttached(kind, key, probe_func))
        return Status(EEXIST, "prog '" + probe_func + "': already attached to " + kind + " '" +
                                  key + "'");
    LIBBPF_OPTS(bpf_kprobe_opts, opts);
    opts.offset = kernel_func_offset;
    opts.retprobe = ret;
    detail::LibbpfLogCapture capture;
    bpf_link *link = bpf_program__attach_kprobe_opts(*prog, kernel_func.c_str(), &opts);
    if (!link) {
        int err = errno;
        return attachFailure(probe_func, kind + " '" + key + "'", err, capture,
                             kprobeFailureHint(err, kernel_func, kernel_func_offset, ret));
    }
    Attachment a{kind, key, probe_func, {}, {}};
    a.links.emplace_back(link);
    return impl_->addAttachment(std::move(a));
}

Status BPF::detach_kprobe(const std::string &kernel_func, bpf_probe_attach_type attach_type) {
    const std::string kind = attach_type == BPF_PROBE_RETURN ? "kretprobe" : "kprobe";
    Status s = impl_->removeAttachments(kind, kernel_func, kind + " '" + kernel_func + "'");
    if (s.ok() || kernel_func.find('+') != std::string::npos)
        return s;
    // Also accept the base name for a probe attached at an offset.
    size_t removed = std::erase_if(impl_->attachments, [&](const auto &e) {
        return e.second.kind == kind && e.second.target_key.starts_with(kernel_func + "+");
    });
    return removed ? Status::OK() : s;
}

namespace {

// Attaches at the file offset OFFSET (FUNC_NAME null) or at FUNC_NAME+OFFSET of FILE, named by
// /proc/self/fd/N: libbpf and the kernel resolve that to the inode FILE holds open, so renaming
// another binary onto the user's path meanwhile cannot redirect the probe.
bpf_link *attachUprobeAt(bpf_program *prog, pid_t pid, const common::ElfFile &file,
                         const char *func_name, uint64_t offset, bool retprobe) {
    LIBBPF_OPTS(bpf_uprobe_opts, opts);
    opts.retprobe = retprobe;
    opts.func_name = func_name;
    std::string path = "/proc/self/fd/" + std::to_string(file.fd());
    return bpf_program__attach_uprobe_opts(prog, pid, path.c_str(), offset, &opts);
}

// The symbol is resolved here, from the file already open, and attached by file offset: libbpf
// 1.1 rejects a name with several global symbols even at one address (glibc's versioned aliases
// such as clock_nanosleep), and one resolution for every libbpf version needs no guessing from
// its log. Only a name this lookup does not find (ENOENT: e.g. an IFUNC) is left to libbpf.
bpf_link *attachUprobeBySymbol(bpf_program *prog, pid_t pid, const common::ElfFile &file,
                               const std::string &symbol, uint64_t symbol_offset, bool retprobe,
                               detail::LibbpfLogCapture &capture, std::string &hint) {
    auto vaddr = detail::elfFunctionAddress(file, symbol);
    if (!vaddr.ok() && vaddr.status().code() == ENOENT)
        return attachUprobeAt(prog, pid, file, symbol.c_str(), symbol_offset, retprobe);
    auto offset = vaddr.ok() ? detail::elfVaddrToFileOffset(file, vaddr.value())
                             : Result<uint64_t>(vaddr.status());
    if (!offset.ok()) {
        hint = ": " + offset.status().msg();
        errno = offset.status().code() > 0 ? offset.status().code() : EINVAL;
        return nullptr;
    }
    capture.clear();
    return attachUprobeAt(prog, pid, file, nullptr, offset.value() + symbol_offset, retprobe);
}

// The binary opened once (openUprobeBinary): symbols are resolved from, and the probe attached
// to, this one file. A short name ("libc", "libc.so.6") is what the loader, $PATH or process
// PID's mappings would pick.
Result<common::ElfFile> openBinary(const std::string &binary_path, pid_t pid) {
    if (binary_path.find('/') != std::string::npos)
        return detail::openUprobeBinary(binary_path);
    auto found = detail::resolveShortBinary(binary_path, pid);
    if (!found.ok())
        return found.status();
    return detail::openUprobeBinary(*found);
}

} // namespace

Status BPF::attach_uprobe(const std::string &binary_path, const std::string &symbol,
                          const std::string &probe_func, uint64_t symbol_addr,
                          bpf_probe_attach_type attach_type, pid_t pid, uint64_t symbol_offset) {
    const bool ret = attach_type == BPF_PROBE_RETURN;
    const std::string kind = ret ? "uretprobe" : "uprobe";
    std::string key = uprobeKey(binary_path, symbol, symbol_addr, symbol_offset, pid);
    std::string what = kind + " '" + key + "'";
    auto prog = impl_->findProgram(probe_func, BPF_PROG_TYPE_KPROBE);
    if (!prog.ok())
        return prog.status();
    if (impl_->isAttached(kind, key, probe_func))
        return Status(EEXIST, "prog '" + probe_func + "': already attached to " + what);
    if (binary_path.find('/') != std::string::npos && !pathExists(binary_path))
        return Status(ENOENT, "prog '" + probe_func + "': failed to attach " + what +
                                  ": binary '" + binary_path + "' does not exist");
    auto file = openBinary(binary_path, pid);
    if (!file.ok())
        return detail::withContext(file.status(),
                                   "prog '" + probe_func + "': failed to attach " + what);
    // A glob that names no symbol literally (Go's "(*T).M" has a '*') is a pattern.
    if (!symbol_addr && !symbol_offset && detail::isWildcard(symbol) &&
        detail::elfFunctionAddress(*file, symbol).status().code() == ENOENT)
        return detail::attachUprobePattern(
            *this, *impl_, {binary_path, *file, detail::globMatcher(symbol), key, attach_type, pid},
            probe_func);
    (void)impl_->ensureTracefs(); // only libbpf's legacy (non-PMU) path needs it
    detail::LibbpfLogCapture capture;
    std::string hint;
    bpf_link *link = nullptr;
    if (symbol_addr) {
        auto file_off = detail::elfVaddrToFileOffset(*file, symbol_addr);
        if (!file_off.ok())
            return detail::withContext(file_off.status(), "prog '" + probe_func + "': " + what);
        link = attachUprobeAt(*prog, pid, *file, nullptr, file_off.value() + symbol_offset, ret);
    } else {
        link = attachUprobeBySymbol(*prog, pid, *file, symbol, symbol_offset, ret, capture, hint);
    }
    if (!link) {
        int err = errno;
        if (hint.empty() && err == ENOENT && !symbol_addr)
            hint = ": symbol '" + symbol + "' not found in '" + binary_path + "'" +
                   detail::closeFunctionNames(*file, symbol);
        return attachFailure(probe_func, what, err, capture, hint);
    }
    Attachment a{kind, key, probe_func, {}, {}};
    a.links.emplace_back(link);
    return impl_->addAttachment(std::move(a));
}

Status BPF::detach_uprobe(const std::string &binary_path, const std::string &symbol,
                          uint64_t symbol_addr, bpf_probe_attach_type attach_type, pid_t pid,
                          uint64_t symbol_offset) {
    const std::string kind = attach_type == BPF_PROBE_RETURN ? "uretprobe" : "uprobe";
    std::string key = uprobeKey(binary_path, symbol, symbol_addr, symbol_offset, pid);
    return impl_->removeAttachments(kind, key, kind + " '" + key + "'");
}

Status BPF::attach_uprobe_regex(const std::string &binary_path, const std::string &sym_re,
                                const std::string &probe_func, bpf_probe_attach_type attach_type,
                                pid_t pid) {
    const std::string kind = attach_type == BPF_PROBE_RETURN ? "uretprobe" : "uprobe";
    std::string key = uprobeKey(binary_path, "/" + sym_re + "/", 0, 0, pid);
    auto matcher = detail::regexMatcher(sym_re);
    if (!matcher.ok())
        return detail::withContext(matcher.status(), "prog '" + probe_func + "': " + kind);
    auto prog = impl_->findProgram(probe_func);
    if (!prog.ok())
        return prog.status();
    auto file = openBinary(binary_path, pid);
    if (!file.ok())
        return detail::withContext(file.status(), "prog '" + probe_func + "': failed to attach " +
                                                      kind + " '" + key + "'");
    return detail::attachUprobePattern(
        *this, *impl_, {binary_path, *file, *matcher, key, attach_type, pid}, probe_func);
}

Status BPF::detach_uprobe_regex(const std::string &binary_path, const std::string &sym_re,
                                bpf_probe_attach_type attach_type, pid_t pid) {
    const std::string kind = attach_type == BPF_PROBE_RETURN ? "uretprobe" : "uprobe";
    std::string key = uprobeKey(binary_path, "/" + sym_re + "/", 0, 0, pid);
    return impl_->removeAttachments(kind, key, kind + " '" + key + "'");
}

bool detail::isUprobePattern(const std::string &binary, const std::string &symbol, pid_t pid) {
    if (!isWildcard(symbol))
        return false;
    auto file = openBinary(binary, pid);
    return file.ok() && elfFunctionAddress(*file, symbol).status().code() == ENOENT;
}

Status BPF::attach_usdt(const std::string &binary_path, const std::string &provider,
                        const std::string &name, const std::string &probe_func, pid_t pid) {
    std::string key = binary_path + ":" + provider + ":" + name +
                      (pid >= 0 ? " pid " + std::to_string(pid) : "");
    auto prog = impl_->findProgram(probe_func);
    if (!prog.ok())
        return prog.status();
    if (impl_->isAttached("usdt", key, probe_func))
        return Status(EEXIST, "prog '" + probe_func + "': already attached to usdt '" + key + "'");
    if (binary_path.find('/') != std::string::npos && !pathExists(binary_path))
        return Status(ENOENT, "prog '" + probe_func + "': failed to attach usdt '" + key +
                                  "': binary '" + binary_path + "' does not exist");
    detail::LibbpfLogCapture capture;
    bpf_link *link = bpf_program__attach_usdt(*prog, pid, binary_path.c_str(), provider.c_str(),
                                              name.c_str(), nullptr);
    if (!link) {
        int err = errno;
        std::string hint = err == ENOENT ? ": no USDT probe " + provider + ":" + name + " in '" +
                                               binary_path + "'"
                                         : "";
        return attachFailure(probe_func, "usdt '" + key + "'", err, capture, hint);
    }
    Attachment a{"usdt", key, probe_func, {}, {}};
    a.links.emplace_back(link);
    return impl_->addAttachment(std::move(a));
}

Status BPF::detach_usdt(const std::string &binary_path, const std::string &provider,
                        const std::string &name, pid_t pid) {
    std::string key = binary_path + ":" + provider + ":" + name +
                      (pid >= 0 ? " pid " + std::to_string(pid) : "");
    return impl_->removeAttachments("usdt", key, "usdt '" + key + "'");
}

Status BPF::attach_perf_event(uint32_t ev_type, uint32_t ev_config, const std::string &probe_func,
                              uint64_t sample_period, uint64_t sample_freq, pid_t pid, int cpu) {
    std::string key = std::to_string(ev_type) + ":" + std::to_string(ev_config);
    std::string what = "perf event " + key;
    if ((sample_period == 0) == (sample_freq == 0))
        return Status(EINVAL, "prog '" + probe_func + "': " + what +
                                  ": exactly one of sample_period and sample_freq must be set");
    auto prog = impl_->findProgram(probe_func, BPF_PROG_TYPE_PERF_EVENT);
    if (!prog.ok())
        return prog.status();
    if (impl_->isAttached("perf_event", key, probe_func))
        return Status(EEXIST, "prog '" + probe_func + "': already attached to " + what);
    std::vector<int> cpus{cpu};
    if (cpu < 0) {
        auto online = detail::onlineCpus();
        if (!online.ok())
            return detail::withContext(online.status(), "prog '" + probe_func + "': " + what);
        cpus = online.value();
    }
    Attachment a{"perf_event", key, probe_func, {}, {}};
    for (int c : cpus) {
        common::UniqueFd pfd(openPerfEvent(ev_type, ev_config, sample_period, sample_freq, pid, c));
        if (!pfd)
            return detail::errnoStatus(errno, "prog '" + probe_func + "': cannot open " + what +
                                                  " on CPU " + std::to_string(c));
        detail::LibbpfLogCapture capture;
        bpf_link *link = bpf_program__attach_perf_event(*prog, pfd.get());
        if (!link) {
            int err = errno; // before the message's allocations
            return attachFailure(probe_func, what + " on CPU " + std::to_string(c), err, capture);
        }
        (void)pfd.release(); // the link owns it from here on
        a.links.emplace_back(link);
    }
    return impl_->addAttachment(std::move(a));
}

Status BPF::detach_perf_event(uint32_t ev_type, uint32_t ev_config) {
    std::string key = std::to_string(ev_type) + ":" + std::to_string(ev_config);
    return impl_->removeAttachments("perf_event", key, "perf event " + key);
}

Status BPF::attach_func(const std::string &probe_func) {
    auto prog = impl_->findProgram(probe_func);
    if (!prog.ok())
        return prog.status();
    if (impl_->isAttached("program", probe_func, probe_func))
        return Status(EEXIST, "prog '" + probe_func + "': already attached");
    detail::LibbpfLogCapture capture;
    bpf_link *link = bpf_program__attach(*prog);
    if (!link)
        return attachFailure(probe_func, "by section '" +
                                             std::string(bpf_program__section_name(*prog)) + "'",
                             errno, capture);
    Attachment a{"program", probe_func, probe_func, {}, {}};
    a.links.emplace_back(link);
    return impl_->addAttachment(std::move(a));
}

Status BPF::detach_func(const std::string &probe_func) {
    return impl_->removeAttachments("program", probe_func, "prog '" + probe_func + "'");
}

std::vector<std::string> BPF::attachments() const {
    std::vector<std::string> out;
    for (const auto &[key, a] : impl_->attachments)
        out.push_back(a.kind + " " + a.target_key + " -> " + a.function);
    return out;
}

} // namespace jitprobe
