// Tables, not logic: header paths from BCC's tools/*.py and the kernel macros they rely on.
// Values are the x86_64 ones of Linux 6.x uapi/kernel headers.
#include "btf/KernelIncludes.h"

#include <algorithm>
#include <cctype>
#include <unordered_set>

namespace jitprobe::frontend {
namespace {

struct Macro {
    std::string_view name;
    std::string_view params; // "(dev)" for function-like macros
    std::string_view body;
};

constexpr Macro kMacros[] = {
    // linux/sched.h task states and flags
    {"TASK_RUNNING", "", "0x00000000"}, {"TASK_INTERRUPTIBLE", "", "0x00000001"},
    {"TASK_UNINTERRUPTIBLE", "", "0x00000002"}, {"__TASK_STOPPED", "", "0x00000004"},
    {"__TASK_TRACED", "", "0x00000008"}, {"EXIT_DEAD", "", "0x00000010"},
    {"EXIT_ZOMBIE", "", "0x00000020"}, {"EXIT_TRACE", "", "(EXIT_ZOMBIE | EXIT_DEAD)"},
    {"TASK_PARKED", "", "0x00000040"}, {"TASK_DEAD", "", "0x00000080"},
    {"TASK_WAKEKILL", "", "0x00000100"}, {"TASK_WAKING", "", "0x00000200"},
    {"TASK_NOLOAD", "", "0x00000400"}, {"TASK_NEW", "", "0x00000800"},
    {"TASK_KILLABLE", "", "(TASK_WAKEKILL | TASK_UNINTERRUPTIBLE)"},
    {"TASK_STOPPED", "", "(TASK_WAKEKILL | __TASK_STOPPED)"}, {"TASK_TRACED", "", "__TASK_TRACED"},
    {"TASK_IDLE", "", "(TASK_UNINTERRUPTIBLE | TASK_NOLOAD)"},
    {"TASK_NORMAL", "", "(TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE)"},
    {"PF_EXITING", "", "0x00000004"}, {"PF_KTHREAD", "", "0x00200000"},
    // time and memory
    {"NSEC_PER_SEC", "", "1000000000L"}, {"NSEC_PER_MSEC", "", "1000000L"},
    {"NSEC_PER_USEC", "", "1000L"}, {"USEC_PER_SEC", "", "1000000L"},
    {"USEC_PER_MSEC", "", "1000L"}, {"MSEC_PER_SEC", "", "1000L"},
    {"PAGE_SHIFT", "", "12"}, {"PAGE_SIZE", "", "(1UL << PAGE_SHIFT)"},
    {"PAGE_MASK", "", "(~(PAGE_SIZE - 1))"},
    // device numbers (linux/kdev_t.h)
    {"MINORBITS", "", "20"}, {"MINORMASK", "", "((1U << MINORBITS) - 1)"},
    {"MAJOR", "(dev)", "((unsigned int)((dev) >> MINORBITS))"},
    {"MINOR", "(dev)", "((unsigned int)((dev) & MINORMASK))"},
    {"MKDEV", "(ma, mi)", "(((ma) << MINORBITS) | (mi))"},
    // sizes
    {"DISK_NAME_LEN", "", "32"}, {"IFNAMSIZ", "", "16"}, {"NAME_MAX", "", "255"},
    {"PATH_MAX", "", "4096"}, {"ETH_ALEN", "", "6"}, {"ETH_HLEN", "", "14"},
    // address families (linux/socket.h)
    {"AF_UNSPEC", "", "0"}, {"AF_UNIX", "", "1"}, {"AF_LOCAL", "", "1"}, {"AF_INET", "", "2"},
    {"AF_INET6", "", "10"}, {"AF_NETLINK", "", "16"}, {"AF_PACKET", "", "17"},
    {"PF_UNSPEC", "", "AF_UNSPEC"}, {"PF_UNIX", "", "AF_UNIX"}, {"PF_INET", "", "AF_INET"},
    {"PF_INET6", "", "AF_INET6"}, {"PF_NETLINK", "", "AF_NETLINK"}, {"PF_PACKET", "", "AF_PACKET"},
    // ethernet protocol ids (uapi/linux/if_ether.h)
    {"ETH_P_ALL", "", "0x0003"}, {"ETH_P_IP", "", "0x0800"}, {"ETH_P_ARP", "", "0x0806"},
    {"ETH_P_8021Q", "", "0x8100"}, {"ETH_P_IPV6", "", "0x86DD"},
    {"IPPROTO_ICMPV6", "", "58"},
    // open(2) flags (asm-generic/fcntl.h)
    {"O_RDONLY", "", "00000000"}, {"O_WRONLY", "", "00000001"}, {"O_RDWR", "", "00000002"},
    {"O_ACCMODE", "", "00000003"}, {"O_CREAT", "", "00000100"}, {"O_EXCL", "", "00000200"},
    {"O_NOCTTY", "", "00000400"}, {"O_TRUNC", "", "00001000"}, {"O_APPEND", "", "00002000"},
    {"O_NONBLOCK", "", "00004000"}, {"O_DSYNC", "", "00010000"}, {"O_DIRECT", "", "00040000"},
    {"O_LARGEFILE", "", "00100000"}, {"O_DIRECTORY", "", "00200000"},
    {"O_NOFOLLOW", "", "00400000"}, {"O_NOATIME", "", "01000000"}, {"O_CLOEXEC", "", "02000000"},
    {"O_SYNC", "", "(04000000 | O_DSYNC)"}, {"O_PATH", "", "010000000"},
    {"O_TMPFILE", "", "(020000000 | O_DIRECTORY)"},
    {"FMODE_READ", "", "0x1"}, {"FMODE_WRITE", "", "0x2"}, {"FMODE_CREATED", "", "0x100000"},
    // file types (uapi/linux/stat.h)
    {"S_IFMT", "", "00170000"}, {"S_IFSOCK", "", "0140000"}, {"S_IFLNK", "", "0120000"},
    {"S_IFREG", "", "0100000"}, {"S_IFBLK", "", "0060000"}, {"S_IFDIR", "", "0040000"},
    {"S_IFCHR", "", "0020000"}, {"S_IFIFO", "", "0010000"},
    {"S_ISLNK", "(m)", "(((m) & S_IFMT) == S_IFLNK)"}, {"S_ISREG", "(m)", "(((m) & S_IFMT) == S_IFREG)"},
    {"S_ISDIR", "(m)", "(((m) & S_IFMT) == S_IFDIR)"}, {"S_ISCHR", "(m)", "(((m) & S_IFMT) == S_IFCHR)"},
    {"S_ISBLK", "(m)", "(((m) & S_IFMT) == S_IFBLK)"}, {"S_ISFIFO", "(m)", "(((m) & S_IFMT) == S_IFIFO)"},
    {"S_ISSOCK", "(m)", "(((m) & S_IFMT) == S_IFSOCK)"},
    // signals, errno, clone flags
    {"SIGINT", "", "2"}, {"SIGKILL", "", "9"}, {"SIGUSR1", "", "10"}, {"SIGSEGV", "", "11"},
    {"SIGTERM", "", "15"}, {"SIGCHLD", "", "17"}, {"SIGSTOP", "", "19"},
    {"EPERM", "", "1"}, {"ENOENT", "", "2"}, {"ESRCH", "", "3"}, {"EINTR", "", "4"},
    {"EIO", "", "5"}, {"EAGAIN", "", "11"}, {"ENOMEM", "", "12"}, {"EACCES", "", "13"},
    {"EFAULT", "", "14"}, {"EBUSY", "", "16"}, {"EEXIST", "", "17"}, {"EINVAL", "", "22"},
    {"ENOSPC", "", "28"}, {"ENOSYS", "", "38"}, {"ETIMEDOUT", "", "110"},
    {"ECONNREFUSED", "", "111"},
    {"CLONE_VM", "", "0x00000100"}, {"CLONE_THREAD", "", "0x00010000"},
    {"CLONE_NEWNS", "", "0x00020000"}, {"CLONE_NEWPID", "", "0x20000000"},
    {"CLONE_NEWNET", "", "0x40000000"},
    // tc actions (uapi/linux/pkt_cls.h), block request ops
    {"TC_ACT_UNSPEC", "", "(-1)"}, {"TC_ACT_OK", "", "0"}, {"TC_ACT_SHOT", "", "2"},
    {"TC_ACT_PIPE", "", "3"}, {"TC_ACT_REDIRECT", "", "7"},
    {"REQ_OP_BITS", "", "8"}, {"REQ_OP_MASK", "", "((1 << REQ_OP_BITS) - 1)"},
    // struct sock / inet_sock member aliases (net/sock.h, net/inet_sock.h)
    {"sk_family", "", "__sk_common.skc_family"}, {"sk_state", "", "__sk_common.skc_state"},
    {"sk_reuse", "", "__sk_common.skc_reuse"}, {"sk_reuseport", "", "__sk_common.skc_reuseport"},
    {"sk_ipv6only", "", "__sk_common.skc_ipv6only"},
    {"sk_bound_dev_if", "", "__sk_common.skc_bound_dev_if"},
    {"sk_prot", "", "__sk_common.skc_prot"}, {"sk_net", "", "__sk_common.skc_net"},
    {"sk_hash", "", "__sk_common.skc_hash"}, {"sk_portpair", "", "__sk_common.skc_portpair"},
    {"sk_num", "", "__sk_common.skc_num"}, {"sk_dport", "", "__sk_common.skc_dport"},
    {"sk_addrpair", "", "__sk_common.skc_addrpair"}, {"sk_daddr", "", "__sk_common.skc_daddr"},
    {"sk_rcv_saddr", "", "__sk_common.skc_rcv_saddr"},
    {"sk_v6_daddr", "", "__sk_common.skc_v6_daddr"},
    {"sk_v6_rcv_saddr", "", "__sk_common.skc_v6_rcv_saddr"},
    {"sk_cookie", "", "__sk_common.skc_cookie"}, {"sk_refcnt", "", "__sk_common.skc_refcnt"},
    {"inet_daddr", "", "sk.__sk_common.skc_daddr"},
    {"inet_rcv_saddr", "", "sk.__sk_common.skc_rcv_saddr"},
    {"inet_dport", "", "sk.__sk_common.skc_dport"}, {"inet_num", "", "sk.__sk_common.skc_num"},
    // linux/dcache.h (6.14+: 5 words), linux/socket.h, in6_addr member shortcuts (linux/in6.h)
    {"DNAME_INLINE_LEN", "", "40"}, {"SCM_RIGHTS", "", "0x01"}, {"SCM_CREDENTIALS", "", "0x02"},
    {"s6_addr", "", "in6_u.u6_addr8"}, {"s6_addr16", "", "in6_u.u6_addr16"},
    {"s6_addr32", "", "in6_u.u6_addr32"},
    // x86_64 direct map base without KASLR (asm/page_64_types.h), jiffies to clock_t
    {"__PAGE_OFFSET_BASE_L4", "", "0xffff888000000000UL"},
    {"PAGE_OFFSET", "", "((unsigned long)__PAGE_OFFSET_BASE_L4)"}, {"USER_HZ", "", "100"},
    // linux/kernel.h: an iov_iter's data_source (ttysnoop on >= 5.14)
    {"READ", "", "0"}, {"WRITE", "", "1"},
    {"EPROTONOSUPPORT", "", "93"}, {"EINPROGRESS", "", "115"}, {"ETH_P_8021AD", "", "0x88A8"},
    // static inlines and macros that compute addresses or values only (no kernel memory read
    // of their own, so the automatic reads of the caller's expression still apply)
    {"TCP_SKB_CB", "(__skb)", "((struct tcp_skb_cb *)&((__skb)->cb[0]))"},
    {"folio_page", "(folio, n)", "(&(folio)->page + (n))"},
    {"div_u64", "(dividend, divisor)", "((u64)(dividend) / (u32)(divisor))"},
    {"div64_u64", "(dividend, divisor)", "((u64)(dividend) / (u64)(divisor))"},
    {"min_t", "(type, x, y)", "((type)(x) < (type)(y) ? (type)(x) : (type)(y))"},
    {"max_t", "(type, x, y)", "((type)(x) > (type)(y) ? (type)(x) : (type)(y))"},
    // static inlines that read kernel memory: the read is written out (CoreReadPass does not
    // see into macro bodies)
    {"skb_rx_queue_recorded", "(skb)", "(BPF_CORE_READ((skb), queue_mapping) != 0)"},
    {"skb_get_rx_queue", "(skb)", "((u16)(BPF_CORE_READ((skb), queue_mapping) - 1))"},
    {"sg_is_last", "(sg)", "((BPF_CORE_READ((sg), page_link) & 0x02UL) != 0)"},
    {"sg_is_chain", "(sg)", "((BPF_CORE_READ((sg), page_link) & 0x01UL) != 0)"},
    {"sg_chain_ptr", "(sg)", "((struct scatterlist *)(BPF_CORE_READ((sg), page_link) & ~0x03UL))"},
    // kernel annotations and compiler hints BCC programs use in casts and conditions
    {"__user", "", ""}, {"__kernel", "", ""}, {"__force", "", ""}, {"__iomem", "", ""},
    {"__rcu", "", ""}, {"__percpu", "", ""},
    {"likely", "(x)", "__builtin_expect(!!(x), 1)"}, {"unlikely", "(x)", "__builtin_expect(!!(x), 0)"},
};

// Enumerators in some kernels' BTF (6.18: all of them), macros in others.
constexpr Macro kMaybeEnumMacros[] = {
    {"TASK_COMM_LEN", "", "16"},
    {"TCP_ESTABLISHED", "", "1"}, {"TCP_SYN_SENT", "", "2"}, {"TCP_SYN_RECV", "", "3"},
    {"TCP_FIN_WAIT1", "", "4"}, {"TCP_FIN_WAIT2", "", "5"}, {"TCP_TIME_WAIT", "", "6"},
    {"TCP_CLOSE", "", "7"}, {"TCP_CLOSE_WAIT", "", "8"}, {"TCP_LAST_ACK", "", "9"},
    {"TCP_LISTEN", "", "10"}, {"TCP_CLOSING", "", "11"}, {"TCP_NEW_SYN_RECV", "", "12"},
    {"IPPROTO_IP", "", "0"}, {"IPPROTO_ICMP", "", "1"}, {"IPPROTO_TCP", "", "6"},
    {"IPPROTO_UDP", "", "17"}, {"IPPROTO_IPV6", "", "41"}, {"IPPROTO_RAW", "", "255"},
    {"SOCK_STREAM", "", "1"}, {"SOCK_DGRAM", "", "2"}, {"SOCK_RAW", "", "3"},
};

void appendMacro(std::string &out, const Macro &m) {
    out.append("#ifndef ").append(m.name).append("\n#define ").append(m.name).append(m.params);
    if (!m.body.empty())
        out.append(" ").append(m.body);
    out.append("\n#endif\n");
}

// Names that appear as "\tNAME = VALUE," lines: btf_dump's enumerator layout.
std::unordered_set<std::string_view> enumeratorsAmong(std::string_view header) {
    std::unordered_set<std::string_view> wanted, found;
    for (const auto &m : kMaybeEnumMacros)
        wanted.insert(m.name);
    for (std::size_t pos = header.find("\n\t"); pos != std::string_view::npos;
         pos = header.find("\n\t", pos + 1)) {
        std::size_t b = pos + 2, e = b;
        while (e < header.size() && (std::isalnum(static_cast<unsigned char>(header[e])) || header[e] == '_'))
            ++e;
        std::string_view name = header.substr(b, e - b);
        if (header.substr(e, 3) == " = " && wanted.count(name))
            found.insert(name);
    }
    return found;
}

} // namespace

bool isKernelIncludePath(std::string_view relative) {
    static constexpr std::string_view kRoots[] = {"linux", "uapi", "asm", "asm-generic", "net",
                                                  "rdma", "scsi", "trace"};
    if (relative == "bcc" || relative == "bcc/proto.h")
        return true;
    if (relative.find("..") != std::string_view::npos || relative.find("//") != std::string_view::npos)
        return false;
    std::string_view root = relative.substr(0, relative.find('/'));
    return std::find(std::begin(kRoots), std::end(kRoots), root) != std::end(kRoots);
}

std::string memberShortcutUndefs(std::string_view record) {
    std::string_view prefix = record == "sock" ? "__sk_common." : record == "inet_sock" ? "sk.__sk_common." : "";
    std::string out;
    if (prefix.empty())
        return out;
    for (const auto &m : kMacros)
        if (m.params.empty() && m.body.starts_with(prefix))
            out.append("#undef ").append(m.name).append("\n");
    return out;
}

const std::vector<std::string_view> &kernelIncludeStubs() {
    static const std::vector<std::string_view> paths = {
        "asm/errno.h", "asm/page.h", "asm/ptrace.h",
        "linux/audit.h", "linux/binfmts.h", "linux/bio.h", "linux/blk-mq.h", "linux/blk_types.h",
        "linux/blkdev.h", "linux/bpf.h", "linux/cgroup.h", "linux/cred.h", "linux/dcache.h",
        "linux/errno.h", "linux/fdtable.h", "linux/file.h", "linux/fs.h", "linux/fs_struct.h",
        "linux/genhd.h", "linux/hrtimer.h", "linux/icmp.h", "linux/icmpv6.h", "linux/if_ether.h",
        "linux/in.h", "linux/in6.h", "linux/init_task.h", "linux/interrupt.h", "linux/ip.h",
        "linux/ipv6.h", "linux/irq.h", "linux/irqdesc.h", "linux/jiffies.h", "linux/kdev_t.h",
        "linux/kernel.h", "linux/ktime.h", "linux/limits.h", "linux/mm.h", "linux/mm_types.h",
        "linux/mmzone.h", "linux/module.h", "linux/mount.h", "linux/namei.h", "linux/net.h",
        "linux/netdevice.h", "linux/netfilter.h", "linux/nfs_fs.h", "linux/ns_common.h",
        "linux/nsproxy.h", "linux/oom.h", "linux/pagemap.h", "linux/path.h", "linux/percpu.h",
        "linux/pid_namespace.h", "linux/ptrace.h", "linux/sched.h", "linux/sched/mm.h",
        "linux/sched/signal.h", "linux/sched/task.h", "linux/sched/task_stack.h",
        "linux/security.h", "linux/seq_file.h", "linux/signal.h", "linux/skbuff.h",
        "linux/slab.h", "linux/socket.h",
        "linux/stat.h", "linux/string.h", "linux/swap.h", "linux/tcp.h", "linux/time.h",
        "linux/timer.h", "linux/tty.h", "linux/types.h", "linux/udp.h", "linux/uio.h",
        "linux/utsname.h", "linux/version.h", "linux/vmalloc.h", "linux/workqueue.h",
        "linux/writeback.h",
        "net/dst.h", "net/inet_connection_sock.h", "net/inet_sock.h", "net/ip.h", "net/ipv6.h",
        "net/net_namespace.h", "net/netfilter/nf_conntrack.h", "net/sch_generic.h", "net/sock.h",
        "net/tcp.h", "net/tcp_states.h", "net/udp.h",
        "uapi/linux/bpf.h", "uapi/linux/bpf_perf_event.h", "uapi/linux/icmp.h",
        "uapi/linux/if_ether.h", "uapi/linux/if_packet.h", "uapi/linux/in.h", "uapi/linux/in6.h",
        "uapi/linux/ip.h", "uapi/linux/ipv6.h", "uapi/linux/limits.h", "uapi/linux/perf_event.h",
        "uapi/linux/pkt_cls.h", "uapi/linux/ptrace.h", "uapi/linux/stat.h", "uapi/linux/tcp.h",
        "uapi/linux/time.h", "uapi/linux/udp.h", "uapi/linux/utsname.h",
    };
    return paths;
}

std::string_view kernelCompatMacros() {
    static const std::string text = [] {
        std::string s = "/* kernel-header macros that BTF cannot carry */\n";
        for (const auto &m : kMacros)
            appendMacro(s, m);
        return s;
    }();
    return text;
}

std::string kernelCompatMacros(std::string_view vmlinux_header) {
    std::string s(kernelCompatMacros());
    auto enums = enumeratorsAmong(vmlinux_header);
    for (const auto &m : kMaybeEnumMacros)
        if (!enums.count(m.name))
            appendMacro(s, m);
    return s;
}

} // namespace jitprobe::frontend
