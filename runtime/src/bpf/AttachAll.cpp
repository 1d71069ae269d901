// attach_all: every ProgramSpec attach point (naming conventions, macros, @attach directives)
// dispatched to the BCC-named attach_* methods.
#include "BPFImpl.h"

#include "attach/AttachTarget.h"

#include <linux/if_link.h>

#include <cerrno>
#include <chrono>
#include <set>

namespace jitprobe {
namespace {

bool attachesBySection(const std::string &kind) {
    static const std::set<std::string> kinds{"tp_btf", "fentry", "fexit", "fmod_ret",
                                             "lsm",    "iter",   "raw_tp"};
    return kinds.count(kind) != 0;
}

// The network and cgroup kinds (@attach xdp:/tc:/socket:/cgroup:).
Status attachNetPoint(BPF &bpf, const std::string &func, const frontend::AttachPoint &ap) {
    const std::string &kind = ap.kind;
    if (kind == "xdp") {
        auto t = detail::parseXdpTarget(ap.target);
        uint32_t flags = !t.ok()                               ? 0
                         : t->mode == detail::XdpMode::Generic ? XDP_FLAGS_SKB_MODE
                         : t->mode == detail::XdpMode::Native  ? XDP_FLAGS_DRV_MODE
                                                               : 0;
        return t.ok() ? bpf.attach_xdp(t->iface, func, flags) : t.status();
    }
    if (kind == "tc") {
        auto t = detail::parseTcTarget(ap.target);
        return t.ok() ? bpf.attach_tc(t->where, func,
                                      t->ingress ? BPF::TcDirection::ingress
                                                 : BPF::TcDirection::egress)
                      : t.status();
    }
    if (kind == "socket") {
        auto t = detail::parseSocketTarget(ap.target);
        return t.ok() ? bpf.attach_raw_socket(func, *t) : t.status();
    }
    auto t = detail::parseCgroupTarget(ap.target);
    return t.ok() ? bpf.attach_cgroup(t->where, func,
                                      t->ingress ? BPF_CGROUP_INET_INGRESS : BPF_CGROUP_INET_EGRESS)
                  : t.status();
}

} // namespace

// One attach point of FUNC; returns the attach_* Status. PID: InitOptions::attach_pid.
static Status attachPoint(BPF &bpf, const std::string &func, const frontend::AttachPoint &ap, pid_t pid) {
    const std::string &kind = ap.kind;
    if (kind == "tracepoint")
        return bpf.attach_tracepoint(ap.target, func);
    if (kind == "raw_tracepoint")
        return bpf.attach_raw_tracepoint(ap.target, func);
    if (kind == "kprobe" || kind == "kretprobe") {
        auto t = detail::parseKprobeTarget(ap.target);
        return t.ok() ? bpf.attach_kprobe(t->function, func, t->offset,
                                          kind == "kprobe" ? BPF_PROBE_ENTRY : BPF_PROBE_RETURN)
                      : t.status();
    }
    if (kind == "uprobe" || kind == "uretprobe") {
        auto t = detail::parseUprobeTarget(ap.target);
        return t.ok() ? bpf.attach_uprobe(t->binary, t->symbol, func, t->address,
                                          kind == "uprobe" ? BPF_PROBE_ENTRY : BPF_PROBE_RETURN,
                                          pid > 0 ? pid : -1, t->offset)
                      : t.status();
    }
    if (kind == "usdt") {
        auto t = detail::parseUsdtTarget(ap.target);
        return t.ok() ? bpf.attach_usdt(t->binary, t->provider, t->name, func) : t.status();
    }
    if (kind == "perf_event") {
        auto t = detail::parsePerfEventTarget(ap.target);
        return t.ok() ? bpf.attach_perf_event(t->type, t->config, func, t->sample_period,
                                              t->sample_freq)
                      : t.status();
    }
    if (attachesBySection(kind))
        return bpf.attach_func(func);
    if (kind == "xdp" || kind == "tc" || kind == "socket" || kind == "cgroup")
        return attachNetPoint(bpf, func, ap);
    return Status(EINVAL, "prog '" + func + "': unknown attach kind '" + kind + "'");
}

Status BPF::attach_all() {
    if (Status s = impl_->ensureLoaded(); !s.ok())
        return s;
    struct Timer { // attach_ms, on every return path
        double &ms;
        std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
        ~Timer() {
            using Ms = std::chrono::duration<double, std::milli>;
            ms = Ms(std::chrono::steady_clock::now() - start).count();
        }
    } timer{impl_->times.attach_ms};
    std::set<std::string> before;
    for (const auto &entry : impl_->attachments)
        before.insert(entry.first);
    for (const auto &prog : impl_->info.programs) {
        for (const auto &ap : prog.attach) {
            Status s = attachPoint(*this, prog.function, ap, impl_->options.attach_pid);
            if (s.ok() || s.code() == EEXIST) // already attached: attach_all is idempotent
                continue;
            // Undo this call's attachments so a failed attach_all leaves nothing behind.
            std::erase_if(impl_->attachments,
                          [&](const auto &e) { return before.count(e.first) == 0; });
            impl_->dropStaleRequests();
            std::string where = ap.line ? impl_->options.file_name + ":" +
                                              std::to_string(ap.line) + ": "
                                        : "";
            return Status(s.code(), where + s.msg());
        }
    }
    return Status::OK();
}

Status BPF::detach_all() {
    impl_->joinDetaching();
    detail::destroyAttachments(std::move(impl_->attachments));
    impl_->attachments.clear();
    impl_->wildcard_requests.clear();
    return Status::OK();
}

} // namespace jitprobe
