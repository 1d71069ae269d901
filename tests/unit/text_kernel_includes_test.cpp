// The kernel include stubs and the compat macro text (compiled in text_kernel_types_test).
#include "btf/KernelIncludes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

using namespace jitprobe::frontend;

TEST(TextKernelIncludes, StubsCoverBccTools) {
    const auto &paths = kernelIncludeStubs();
    EXPECT_GE(paths.size(), 100u);
    std::set<std::string_view> unique(paths.begin(), paths.end());
    EXPECT_EQ(unique.size(), paths.size()) << "duplicate stub path";
    for (const char *p : {"uapi/linux/ptrace.h", "linux/sched.h", "linux/fs.h", "uapi/linux/bpf_perf_event.h",
                          "net/sock.h", "linux/blkdev.h", "linux/blk-mq.h", "linux/mm.h", "linux/socket.h",
                          "net/inet_sock.h", "linux/tcp.h", "linux/ip.h", "linux/ipv6.h", "net/tcp_states.h",
                          "uapi/linux/tcp.h", "linux/nsproxy.h", "linux/pid_namespace.h", "linux/mount.h",
                          "linux/dcache.h", "linux/signal.h", "linux/kernel.h", "linux/types.h", "linux/bpf.h",
                          "linux/ptrace.h", "linux/pagemap.h", "linux/swap.h", "linux/genhd.h", "linux/time.h",
                          "linux/netdevice.h", "linux/skbuff.h", "net/sch_generic.h", "uapi/linux/if_ether.h",
                          "uapi/linux/ip.h", "uapi/linux/udp.h", "linux/in.h", "linux/in6.h",
                          "linux/cgroup.h", "linux/jiffies.h"})
        EXPECT_TRUE(unique.count(p)) << p;
    // Not empty: its packet header structs are headers/include/bcc/proto.h.
    EXPECT_FALSE(unique.count("bcc/proto.h"));
    for (auto p : paths) {
        EXPECT_TRUE(p.ends_with(".h")) << p;
        EXPECT_FALSE(p.starts_with("/")) << p;
    }
}

TEST(TextKernelIncludes, AnyHeaderUnderAKernelRootIsAKernelInclude) {
    for (const char *p : {"linux/time64.h", "linux/compaction.h", "rdma/rdma_cm.h", "uapi/linux/fs.h",
                          "asm/page.h", "net/sock.h", "scsi/scsi_cmnd.h", "trace/events/sched.h",
                          "bcc/proto.h", "linux", "linux/sched", "asm-generic/errno.h"})
        EXPECT_TRUE(isKernelIncludePath(p)) << p;
    for (const char *p : {"stdio.h", "sys/types.h", "bcc/helpers.h", "linux/../../etc/passwd.h",
                          "mylib/linux/x.h", "linuxfoo/x.h"})
        EXPECT_FALSE(isKernelIncludePath(p)) << p;
}

TEST(TextKernelIncludes, MemberShortcutsOfARecordCanBeUndefined) {
    std::string sock = memberShortcutUndefs("sock");
    EXPECT_NE(sock.find("#undef sk_daddr\n"), std::string::npos) << sock;
    EXPECT_NE(sock.find("#undef sk_family\n"), std::string::npos) << sock;
    EXPECT_EQ(sock.find("inet_daddr"), std::string::npos) << sock;
    EXPECT_NE(memberShortcutUndefs("inet_sock").find("#undef inet_daddr\n"), std::string::npos);
    EXPECT_TRUE(memberShortcutUndefs("task_struct").empty());
}

TEST(TextKernelIncludes, EveryMacroIsGuarded) {
    std::string_view text = kernelCompatMacros();
    EXPECT_EQ(text.find("#include"), std::string_view::npos);
    std::size_t defines = 0;
    for (std::size_t pos = text.find("#define "); pos != std::string_view::npos;
         pos = text.find("#define ", pos + 1)) {
        ++defines;
        std::size_t b = pos + 8, e = b;
        while (e < text.size() && (std::isalnum(static_cast<unsigned char>(text[e])) || text[e] == '_'))
            ++e;
        std::string guard = "#ifndef " + std::string(text.substr(b, e - b)) + "\n";
        ASSERT_GE(pos, guard.size());
        EXPECT_EQ(text.substr(pos - guard.size(), guard.size()), guard);
    }
    EXPECT_GT(defines, 100u);
    EXPECT_NE(text.find("#define PAGE_SIZE (1UL << PAGE_SHIFT)"), std::string_view::npos);
    EXPECT_NE(text.find("#define MKDEV(ma, mi)"), std::string_view::npos);
    EXPECT_NE(text.find("#define TASK_RUNNING 0x00000000"), std::string_view::npos);
    EXPECT_NE(text.find("#define AF_INET6 10"), std::string_view::npos);
    EXPECT_EQ(text.find("TASK_COMM_LEN"), std::string_view::npos) << "an enumerator on some kernels";
}

TEST(TextKernelIncludes, MaybeEnumMacrosDependOnHeader) {
    std::string without = kernelCompatMacros("");
    EXPECT_NE(without.find("#define TASK_COMM_LEN 16"), std::string::npos);
    EXPECT_NE(without.find("#define TCP_ESTABLISHED 1"), std::string::npos);
    std::string with = kernelCompatMacros("enum {\n\tTASK_COMM_LEN = 16,\n};\nenum {\n\tTCP_ESTABLISHED = 1,\n"
                                          "\tTCP_SYN_SENT = 2,\n};\n");
    EXPECT_EQ(with.find("TASK_COMM_LEN"), std::string::npos);
    EXPECT_EQ(with.find("TCP_ESTABLISHED"), std::string::npos);
    EXPECT_NE(with.find("#define TCP_LISTEN 10"), std::string::npos);
}
