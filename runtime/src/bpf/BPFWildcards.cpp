#include "BPFWildcards.h"

#include "attach/ElfOffsets.h"
#include "attach/MultiLinks.h"
#include "jitprobe/common/Errors.h"

#include <unistd.h>

#include <functional>
#include <set>

namespace jitprobe::detail {
namespace {

std::string joined(const std::vector<std::string> &names) {
    std::string out;
    for (const std::string &n : names)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

std::set<std::string> keysOf(const BPF::Impl &impl) {
    std::set<std::string> keys;
    for (const auto &entry : impl.attachments)
        keys.insert(entry.first);
    return keys;
}

// Records REQUEST with the attachments made since BEFORE and what it matched.
void record(BPF::Impl &impl, WildcardRequest request, const std::set<std::string> &before,
            const std::string &links, const std::vector<std::string> &targets) {
    for (const auto &entry : impl.attachments)
        if (!before.count(entry.first))
            request.attachment_keys.push_back(entry.first);
    request.note += std::to_string(targets.size()) + " target" +
                    (targets.size() == 1 ? "" : "s") + ", " + links + ": " + joined(targets);
    impl.wildcard_requests.push_back(std::move(request));
}

// Attaches every target with ATTACH; on the first failure detaches those already attached.
Status attachEach(BPF::Impl &impl, WildcardRequest request, const std::vector<std::string> &targets,
                  const std::string &why_not_multi,
                  const std::function<Status(const std::string &)> &attach) {
    std::set<std::string> before = keysOf(impl);
    for (const std::string &t : targets) {
        Status s = attach(t);
        if (s.ok() || s.code() == EEXIST)
            continue;
        std::erase_if(impl.attachments, [&](const auto &e) { return !before.count(e.first); });
        return s;
    }
    record(impl, std::move(request), before, "one link per target" + why_not_multi, targets);
    return Status::OK();
}

// One attachment at the request's key holding LINK (a kprobe.multi / uprobe.multi link fd).
Status addMulti(BPF::Impl &impl, WildcardRequest request, const std::string &func,
                common::UniqueFd link, const std::string &link_kind,
                const std::vector<std::string> &targets) {
    std::set<std::string> before = keysOf(impl);
    Attachment a{request.kind, request.request_key, func, {}, {}};
    a.undo.emplace_back([fd = link.release()] { ::close(fd); });
    if (Status s = impl.addAttachment(std::move(a)); !s.ok())
        return s; // EEXIST: the new link closed with the attachment
    record(impl, std::move(request), before, "one " + link_kind + " link", targets);
    return Status::OK();
}

std::string header(const std::string &kind, const std::string &what, const std::string &func) {
    return kind + " " + what + " -> " + func + ": ";
}

} // namespace

Status attachTracepointPattern(BPF &bpf, BPF::Impl &impl, const NameMatcher &matcher,
                               const std::string &request_key, const std::string &probe_func) {
    auto targets = expandTracepoints(matcher, kMaxWildcardTargets);
    if (!targets.ok())
        return withContext(targets.status(), "prog '" + probe_func + "'");
    WildcardRequest request{"tracepoint", request_key,
                            header("tracepoint", matcher.text, probe_func), {}};
    return attachEach(impl, std::move(request), *targets, "", [&](const std::string &t) {
        return bpf.attach_tracepoint(t, probe_func);
    });
}

Status attachKprobePattern(BPF &bpf, BPF::Impl &impl, const NameMatcher &matcher,
                           const std::string &request_key, const std::string &probe_func,
                           bpf_probe_attach_type attach_type) {
    const bool ret = attach_type == BPF_PROBE_RETURN;
    const std::string kind = ret ? "kretprobe" : "kprobe";
    const std::string what = "prog '" + probe_func + "': " + kind + " " + matcher.text;
    (void)impl.ensureTracefs(); // kprobe_events is one sign of kprobes
    const bool has_kprobes = kernelHasKprobes(impl.tracefs_root);
    const Status multi = has_kprobes ? kprobeMultiSupport() : Status::OK();
    auto links = chooseKprobeLinks(what, has_kprobes, multi);
    if (!links.ok())
        return links.status();
    auto targets = expandKernelFunctions(matcher, kMaxWildcardTargets);
    if (!targets.ok())
        return withContext(targets.status(), "prog '" + probe_func + "'");
    WildcardRequest request{kind, request_key, header(kind, matcher.text, probe_func), {}};
    if (*links == WildcardLinks::PerTarget)
        return attachEach(impl, std::move(request), *targets,
                          " (no kprobe.multi: " + multi.msg() + ")", [&](const std::string &t) {
                              return bpf.attach_kprobe(t, probe_func, 0, attach_type);
                          });
    auto fd = multiProgramFd(impl, probe_func, kTraceKprobeMulti);
    if (!fd.ok())
        return fd.status();
    auto link = createKprobeMultiLink(*fd, *targets, ret);
    if (!link.ok())
        return withContext(link.status(), what + ": failed to attach " +
                                              std::to_string(targets->size()) + " targets");
    return addMulti(impl, std::move(request), probe_func, std::move(*link), "kprobe.multi",
                    *targets);
}

Status attachUprobePattern(BPF &bpf, BPF::Impl &impl, const UprobePattern &p,
                           const std::string &probe_func) {
    const bool ret = p.attach_type == BPF_PROBE_RETURN;
    const std::string kind = ret ? "uretprobe" : "uprobe";
    auto targets = expandFunctionTargets(p.file, p.matcher, kMaxWildcardTargets);
    if (!targets.ok())
        return withContext(targets.status(), "prog '" + probe_func + "'");
    std::set<std::string> unique;
    std::vector<uint64_t> offsets;
    for (const FunctionTarget &t : *targets) {
        unique.insert(t.name);
        auto offset = elfVaddrToFileOffset(p.file, t.address);
        if (!offset.ok())
            return withContext(offset.status(), "prog '" + probe_func + "': " + kind + " '" +
                                                    p.binary + ":" + t.name + "'");
        offsets.push_back(*offset);
    }
    std::vector<std::string> names(unique.begin(), unique.end());
    WildcardRequest request{kind, p.request_key,
                            header(kind, "'" + p.binary + "' " + p.matcher.text, probe_func), {}};
    const Status &multi = uprobeMultiSupport();
    if (!multi.ok())
        return attachEach(impl, std::move(request), names,
                          " (no uprobe.multi: " + multi.msg() + ")", [&](const std::string &t) {
                              return bpf.attach_uprobe(p.binary, t, probe_func, 0, p.attach_type,
                                                       p.pid);
                          });
    auto fd = multiProgramFd(impl, probe_func, kTraceUprobeMulti);
    if (!fd.ok())
        return fd.status();
    // The file already open, by /proc/self/fd: the link probes the inode that was resolved.
    std::string path = p.file.fd() >= 0 ? "/proc/self/fd/" + std::to_string(p.file.fd()) : p.binary;
    auto link = createUprobeMultiLink(*fd, path, offsets, ret, p.pid);
    if (!link.ok())
        return withContext(link.status(), "prog '" + probe_func + "': failed to attach " + kind +
                                              " '" + p.request_key + "' (" +
                                              std::to_string(offsets.size()) + " targets)");
    return addMulti(impl, std::move(request), probe_func, std::move(*link), "uprobe.multi", names);
}

} // namespace jitprobe::detail

namespace jitprobe {

Status BPF::attach_tracepoint_regex(const std::string &tp_re, const std::string &probe_func) {
    auto matcher = detail::regexMatcher(tp_re);
    if (!matcher.ok())
        return detail::withContext(matcher.status(), "prog '" + probe_func + "': tracepoint");
    return detail::attachTracepointPattern(*this, *impl_, *matcher, "/" + tp_re + "/",
                                           probe_func);
}

Status BPF::detach_tracepoint_regex(const std::string &tp_re) {
    return impl_->removeAttachments("tracepoint", "/" + tp_re + "/",
                                    "tracepoint regex '" + tp_re + "'");
}

Status BPF::attach_kprobe_regex(const std::string &event_re, const std::string &probe_func,
                                bpf_probe_attach_type attach_type) {
    const std::string kind = attach_type == BPF_PROBE_RETURN ? "kretprobe" : "kprobe";
    auto matcher = detail::regexMatcher(event_re);
    if (!matcher.ok())
        return detail::withContext(matcher.status(), "prog '" + probe_func + "': " + kind);
    if (auto prog = impl_->findProgram(probe_func); !prog.ok())
        return prog.status();
    return detail::attachKprobePattern(*this, *impl_, *matcher, "/" + event_re + "/", probe_func,
                                       attach_type);
}

Status BPF::detach_kprobe_regex(const std::string &event_re, bpf_probe_attach_type attach_type) {
    const std::string kind = attach_type == BPF_PROBE_RETURN ? "kretprobe" : "kprobe";
    return impl_->removeAttachments(kind, "/" + event_re + "/",
                                    kind + " regex '" + event_re + "'");
}

std::vector<std::string> BPF::wildcard_matches() const {
    std::vector<std::string> out;
    for (const detail::WildcardRequest &r : impl_->wildcard_requests)
        out.push_back(r.note);
    return out;
}

} // namespace jitprobe
