// Network and cgroup attachments: XDP, packet-socket filters, tc classifiers (clsact) and
// cgroup programs. Each attachment undoes itself on destruction (detach_*, ~BPF), leaving the
// interface or cgroup as it was.
#include "BPFImpl.h"

#include "jitprobe/common/Errors.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>
#include <mutex>

namespace jitprobe {
namespace {

using detail::Attachment;
using detail::errnoText;
using detail::Undo;

Status failure(const std::string &func, const std::string &what, int err,
               const std::string &why = "") {
    return Status(err ? err : -1, "prog '" + func + "': failed to attach " + what + ": " +
                                      errnoText(err) + why);
}

Result<int> ifindexOf(const std::string &func, const std::string &what, const std::string &dev) {
    unsigned index = ::if_nametoindex(dev.c_str());
    if (index == 0)
        return failure(func, what, errno == ENXIO ? ENODEV : errno,
                       " (no interface '" + dev + "' in this network namespace)");
    return int(index);
}

// A clsact qdisc jitprobe created, shared by every tc attachment on its interface in this
// process and deleted with the last one. A qdisc that existed before is never deleted.
struct ClsactQdisc {
    int ifindex = 0;
    bool created = false;
    ~ClsactQdisc() {
        if (!created)
            return;
        LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
                    .attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
        (void)bpf_tc_hook_destroy(&hook); // the interface may be gone already
    }
};

// The interface's clsact qdisc, created if missing (-EEXIST: someone else's, kept).
Result<std::shared_ptr<ClsactQdisc>> clsactOn(int ifindex) {
    static std::mutex mutex;
    // By namespace and ifindex: each namespace numbers its interfaces from 1.
    static std::map<std::pair<ino_t, int>, std::weak_ptr<ClsactQdisc>> owned;
    struct stat ns {};
    (void)::stat("/proc/thread-self/ns/net", &ns);
    std::lock_guard lock(mutex);
    std::weak_ptr<ClsactQdisc> &entry = owned[{ns.st_ino, ifindex}];
    if (auto q = entry.lock())
        return q;
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
    int err = bpf_tc_hook_create(&hook);
    if (err && err != -EEXIST)
        return Status(-err, "cannot create the clsact qdisc: " + errnoText(-err));
    auto q = std::make_shared<ClsactQdisc>();
    q->ifindex = ifindex;
    q->created = err == 0;
    entry = q;
    return q;
}

// Runs FN in the network namespace NETNS (this thread only) and comes back: a tc filter and
// its qdisc are deleted over netlink, which speaks for the caller's current namespace, and the
// BPF object may be destroyed from another one than it attached in.
void inNetns(int netns, const std::function<void()> &fn) {
    common::UniqueFd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    bool moved = netns >= 0 && home && ::setns(netns, CLONE_NEWNET) == 0;
    fn();
    if (moved)
        (void)::setns(home.get(), CLONE_NEWNET);
}

// A link/socket fd whose close detaches the program.
Undo closing(int fd) {
    return Undo([fd] { ::close(fd); });
}

std::string tcKey(const std::string &dev, BPF::TcDirection d) {
    return dev + (d == BPF::TcDirection::ingress ? " ingress" : " egress");
}

std::string cgroupKey(const std::string &path, bpf_attach_type type) {
    const char *name = libbpf_bpf_attach_type_str(type);
    return path + " " + (name ? name : std::to_string(int(type)));
}

} // namespace

// A BPF link rather than the netlink attach: it also detaches if this process dies.
Status BPF::attach_xdp(const std::string &dev, const std::string &probe_func, uint32_t flags) {
    auto fd = impl_->programFdAs(probe_func, BPF_PROG_TYPE_XDP);
    if (!fd.ok())
        return fd.status();
    std::string what = "xdp on '" + dev + "'";
    auto ifindex = ifindexOf(probe_func, what, dev);
    if (!ifindex.ok())
        return ifindex.status();
    if (impl_->isAttached("xdp", dev, probe_func))
        return Status(EEXIST, "prog '" + probe_func + "': already attached to " + what);
    LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags & XDP_FLAGS_MODES);
    int link = bpf_link_create(*fd, *ifindex, BPF_XDP, &opts);
    if (link < 0)
        return failure(probe_func, what, errno,
                       errno == EBUSY ? " (another XDP program is attached)" : "");
    Attachment a{"xdp", dev, probe_func, {}, {}};
    a.undo.push_back(closing(link));
    return impl_->addAttachment(std::move(a));
}

Status BPF::detach_xdp(const std::string &dev) {
    return impl_->removeAttachments("xdp", dev, "xdp on '" + dev + "'");
}

Status BPF::attach_raw_socket(const std::string &probe_func, const std::string &dev,
                              int *sock_fd) {
    auto fd = impl_->programFdAs(probe_func, BPF_PROG_TYPE_SOCKET_FILTER);
    if (!fd.ok())
        return fd.status();
    std::string what = "socket on '" + (dev.empty() ? "*" : dev) + "'";
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(ETH_P_ALL);
    if (!dev.empty()) {
        auto ifindex = ifindexOf(probe_func, what, dev);
        if (!ifindex.ok())
            return ifindex.status();
        addr.sll_ifindex = *ifindex;
    }
    common::UniqueFd sock(::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                   htons(ETH_P_ALL)));
    int prog_fd = *fd;
    if (!sock || ::bind(sock.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
        ::setsockopt(sock.get(), SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof prog_fd) != 0)
        return failure(probe_func, what, errno);
    if (sock_fd)
        *sock_fd = sock.get();
    Attachment a{"socket", dev, probe_func, {}, {}};
    a.undo.push_back(closing(sock.release()));
    return impl_->addAttachment(std::move(a));
}

Status BPF::detach_raw_socket(const std::string &dev) {
    return impl_->removeAttachments("socket", dev, "socket on '" + dev + "'");
}

Status BPF::attach_tc(const std::string &dev, const std::string &probe_func,
                      TcDirection direction, uint32_t priority) {
    auto fd = impl_->programFdAs(probe_func, BPF_PROG_TYPE_SCHED_CLS);
    if (!fd.ok())
        return fd.status();
    std::string key = tcKey(dev, direction), what = "tc " + key.substr(dev.size() + 1) +
                                                    " on '" + dev + "'";
    auto ifindex = ifindexOf(probe_func, what, dev);
    if (!ifindex.ok())
        return ifindex.status();
    if (impl_->isAttached("tc", key, probe_func))
        return Status(EEXIST, "prog '" + probe_func + "': already attached to " + what);
    auto qdisc = clsactOn(*ifindex);
    if (!qdisc.ok())
        return failure(probe_func, what, qdisc.status().code(), " (" + qdisc.status().msg() + ")");
    auto point = direction == TcDirection::ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = *ifindex, .attach_point = point);
    LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = *fd, .priority = priority);
    if (int err = bpf_tc_attach(&hook, &opts); err != 0)
        return failure(probe_func, what, -err);
    uint32_t handle = opts.handle, prio = opts.priority;
    Attachment a{"tc", key, probe_func, {}, {}};
    // The filter goes first, then (via the last reference) the qdisc jitprobe created.
    auto netns = std::make_shared<common::UniqueFd>(
        ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    a.undo.push_back(Undo([ifindex = *ifindex, point, handle, prio, q = *qdisc, netns]() mutable {
        inNetns(netns->get(), [&] {
            LIBBPF_OPTS(bpf_tc_opts, del, .handle = handle, .priority = prio);
            // A fresh hook: libbpf rejects a copied one (its padding is not zeroed).
            LIBBPF_OPTS(bpf_tc_hook, at, .ifindex = ifindex, .attach_point = point);
            (void)bpf_tc_detach(&at, &del);
            q.reset();
        });
    }));
    return impl_->addAttachment(std::move(a));
}

Status BPF::detach_tc(const std::string &dev, TcDirection direction) {
    std::string key = tcKey(dev, direction);
    return impl_->removeAttachments("tc", key, "tc " + key);
}

Status BPF::attach_cgroup(const std::string &path, const std::string &probe_func,
                          enum bpf_attach_type attach_type) {
    bool skb = attach_type == BPF_CGROUP_INET_INGRESS || attach_type == BPF_CGROUP_INET_EGRESS;
    auto fd = impl_->programFdAs(probe_func, skb ? BPF_PROG_TYPE_CGROUP_SKB : -1,
                                 skb ? int(attach_type) : -1);
    if (!fd.ok())
        return fd.status();
    std::string key = cgroupKey(path, attach_type), what = "cgroup '" + key + "'";
    if (impl_->isAttached("cgroup", key, probe_func))
        return Status(EEXIST, "prog '" + probe_func + "': already attached to " + what);
    common::UniqueFd cgroup(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cgroup)
        return failure(probe_func, what, errno, " (not a cgroup v2 directory?)");
    int link = bpf_link_create(*fd, cgroup.get(), attach_type, nullptr);
    if (link < 0)
        return failure(probe_func, what, errno);
    Attachment a{"cgroup", key, probe_func, {}, {}};
    a.undo.push_back(closing(link));
    return impl_->addAttachment(std::move(a));
}

Status BPF::detach_cgroup(const std::string &path, enum bpf_attach_type attach_type) {
    std::string key = cgroupKey(path, attach_type);
    return impl_->removeAttachments("cgroup", key, "cgroup '" + key + "'");
}

} // namespace jitprobe
