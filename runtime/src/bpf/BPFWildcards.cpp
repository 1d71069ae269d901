#include "BPFWildcards.h"

#include "attach/Wildcards.h"
#include "jitprobe/common/Errors.h"

#include <functional>

namespace jitprobe::detail {
namespace {

// Attaches every target with ATTACH; on the first failure detaches those already attached.
Status attachEach(const std::vector<std::string> &targets,
                  const std::function<Status(const std::string &)> &attach,
                  const std::function<void(const std::string &)> &detach) {
    std::vector<std::string> done;
    for (const std::string &t : targets) {
        Status s = attach(t);
        if (s.ok() || s.code() == EEXIST) {
            if (s.ok())
                done.push_back(t);
            continue;
        }
        for (const std::string &d : done)
            detach(d);
        return s;
    }
    return Status::OK();
}

} // namespace

Status attachTracepointPattern(BPF &bpf, const std::string &pattern,
                               const std::string &probe_func) {
    auto targets = expandTracepoints(pattern, kMaxWildcardTargets);
    if (!targets.ok())
        return withContext(targets.status(), "prog '" + probe_func + "'");
    return attachEach(
        *targets, [&](const std::string &t) { return bpf.attach_tracepoint(t, probe_func); },
        [&](const std::string &t) { (void)bpf.detach_tracepoint(t); });
}

Status attachKprobePattern(BPF &bpf, const std::string &pattern, const std::string &probe_func,
                           bpf_probe_attach_type attach_type) {
    auto targets = expandKernelFunctions(pattern, kMaxWildcardTargets);
    if (!targets.ok())
        return withContext(targets.status(), "prog '" + probe_func + "'");
    return attachEach(
        *targets,
        [&](const std::string &t) { return bpf.attach_kprobe(t, probe_func, 0, attach_type); },
        [&](const std::string &t) { (void)bpf.detach_kprobe(t, attach_type); });
}

Status attachUprobePattern(BPF &bpf, const std::string &binary, const common::ElfFile &file,
                           const std::string &pattern, const std::string &probe_func,
                           bpf_probe_attach_type attach_type, pid_t pid) {
    auto targets = expandFunctionSymbols(file, pattern, kMaxWildcardTargets);
    if (!targets.ok())
        return withContext(targets.status(), "prog '" + probe_func + "'");
    return attachEach(
        *targets,
        [&](const std::string &t) {
            return bpf.attach_uprobe(binary, t, probe_func, 0, attach_type, pid);
        },
        [&](const std::string &t) { (void)bpf.detach_uprobe(binary, t, 0, attach_type, pid); });
}

} // namespace jitprobe::detail
