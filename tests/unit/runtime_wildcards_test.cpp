// Wildcard target expansion (runtime/src/attach/Wildcards), no privileges needed: the kprobe
// expansion is tested here because this host has no kprobes to attach (tests/vm attaches them).
#include "attach/MultiLinks.h"
#include "attach/Wildcards.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <set>

using namespace jitprobe::detail;

TEST(RuntimeWildcards, GlobCharactersMakeAPattern) {
    EXPECT_TRUE(isWildcard("tcp_*"));
    EXPECT_TRUE(isWildcard("sys_enter_get?id"));
    EXPECT_TRUE(isWildcard("str[cn]py"));
    EXPECT_FALSE(isWildcard("vfs_read"));
}

TEST(RuntimeWildcards, KernelFunctionPatternsExpandWithALimit) {
    const std::vector<std::string> names = {"tcp_sendmsg", "tcp_recvmsg", "udp_sendmsg",
                                            "tcp_v4_connect", "tcp_sendmsg"};
    auto tcp = matchNames("kprobe", "tcp_*", names, 10);
    ASSERT_TRUE(tcp.ok()) << tcp.status().msg();
    EXPECT_EQ(*tcp, (std::vector<std::string>{"tcp_recvmsg", "tcp_sendmsg", "tcp_v4_connect"}));
    auto big = matchNames("kprobe", "*msg", names, 2);
    EXPECT_EQ(big.status().code(), E2BIG);
    EXPECT_NE(big.status().msg().find("kprobe pattern '*msg' matches 3 targets, more than the "
                                      "limit of 2"),
              std::string::npos)
        << big.status().msg();
    auto none = matchNames("kprobe", "xyz_*", names, 10);
    EXPECT_EQ(none.status().code(), ENOENT);
    EXPECT_NE(none.status().msg().find("'xyz_*' matches nothing"), std::string::npos);
}

// This host's kernel: the function list exists even without CONFIG_KPROBES.
TEST(RuntimeWildcards, KernelFunctionsOfThisKernel) {
    auto tcp = expandKernelFunctions("tcp_v4_*", kMaxWildcardTargets);
    if (!tcp.ok() && tcp.status().code() != ENOENT)
        GTEST_SKIP() << "no kernel function list: " << tcp.status().msg();
    ASSERT_TRUE(tcp.ok()) << tcp.status().msg();
    EXPECT_GE(tcp->size(), 2u);
    for (const auto &name : *tcp)
        EXPECT_TRUE(name.starts_with("tcp_v4_")) << name;
    EXPECT_EQ(expandKernelFunctions("*", kMaxWildcardTargets).status().code(), E2BIG);
}

TEST(RuntimeWildcards, TracepointsOfThisKernel) {
    auto tps = expandTracepoints("syscalls:sys_enter_get*pid", kMaxWildcardTargets);
    if (!tps.ok() && tps.status().code() != ENOENT)
        GTEST_SKIP() << "no tracefs: " << tps.status().msg();
    ASSERT_TRUE(tps.ok()) << tps.status().msg();
    EXPECT_NE(std::find(tps->begin(), tps->end(), "syscalls:sys_enter_getpid"), tps->end());
    EXPECT_NE(std::find(tps->begin(), tps->end(), "syscalls:sys_enter_getppid"), tps->end());
}

TEST(RuntimeWildcards, FunctionSymbolsOfABinaryOnePerAddress) {
    auto libc = jitprobe::common::ElfFile::open("/lib/x86_64-linux-gnu/libc.so.6");
    ASSERT_TRUE(libc.ok()) << libc.status().msg();
    auto str = expandFunctionSymbols(*libc, "strto*", kMaxWildcardTargets);
    ASSERT_TRUE(str.ok()) << str.status().msg();
    EXPECT_NE(std::find(str->begin(), str->end(), "strtok"), str->end());
    // strtol, strtoll, strtoq and strtoimax are one function: probed once, by one name.
    EXPECT_EQ(std::count_if(str->begin(), str->end(),
                            [](const std::string &n) {
                                return n == "strtol" || n == "strtoll" || n == "strtoq" ||
                                       n == "strtoimax";
                            }),
              1);
    for (const auto &name : *str)
        EXPECT_TRUE(name.starts_with("strto") && name.find('@') == std::string::npos) << name;
    EXPECT_EQ(expandFunctionSymbols(*libc, "*", 5).status().code(), E2BIG);
}

// BCC's event_re= / sym_re=: ECMAScript, matched from the start of the name (Python's re.match).
TEST(RuntimeWildcards, RegexMatchesFromTheStartOfTheName) {
    auto re = regexMatcher("tcp_(send|recv)");
    ASSERT_TRUE(re.ok()) << re.status().msg();
    const std::vector<std::string> names = {"tcp_sendmsg", "tcp_recvmsg", "udp_sendmsg",
                                            "__tcp_sendmsg", "tcp_v4_connect"};
    auto found = matchNames("kprobe", *re, names, 10);
    ASSERT_TRUE(found.ok()) << found.status().msg();
    EXPECT_EQ(*found, (std::vector<std::string>{"tcp_recvmsg", "tcp_sendmsg"}));
    auto exact = regexMatcher("tcp_sendmsg$");
    ASSERT_TRUE(exact.ok());
    EXPECT_TRUE(exact->matches("tcp_sendmsg"));
    EXPECT_FALSE(exact->matches("tcp_sendmsg_locked"));
    auto none = matchNames("kprobe", *regexMatcher("xyz"), names, 10);
    EXPECT_EQ(none.status().code(), ENOENT);
    EXPECT_NE(none.status().msg().find("kprobe pattern regex 'xyz' matches nothing"),
              std::string::npos)
        << none.status().msg();
    EXPECT_EQ(matchNames("kprobe", *regexMatcher("."), names, 4).status().code(), E2BIG);
    auto bad = regexMatcher("tcp_(");
    EXPECT_EQ(bad.status().code(), EINVAL);
    EXPECT_NE(bad.status().msg().find("regex 'tcp_(' does not compile"), std::string::npos);
}

// The kprobe wildcard's choice: no kprobes is an error naming why; else multi when it works.
TEST(RuntimeWildcards, KprobeLinkChoice) {
    auto missing = chooseKprobeLinks("prog 'f': kprobe 'vfs_*'", false, jitprobe::Status::OK());
    EXPECT_EQ(missing.status().code(), EOPNOTSUPP);
    EXPECT_EQ(missing.status().msg(), "prog 'f': kprobe 'vfs_*': this kernel has no kprobe "
                                      "support (CONFIG_KPROBES is not set)");
    auto multi = chooseKprobeLinks("k", true, jitprobe::Status::OK());
    ASSERT_TRUE(multi.ok());
    EXPECT_EQ(*multi, WildcardLinks::Multi);
    auto each = chooseKprobeLinks("k", true, jitprobe::Status(EOPNOTSUPP, "link_create"));
    ASSERT_TRUE(each.ok());
    EXPECT_EQ(*each, WildcardLinks::PerTarget);
}

// This host: no kprobes means no kprobe.multi either; the probe says why.
TEST(RuntimeWildcards, KprobeMultiProbeAgreesWithKprobes) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "loading the probe program needs root";
    const jitprobe::Status &multi = kprobeMultiSupport();
    if (!kernelHasKprobes("/sys/kernel/tracing")) {
        EXPECT_FALSE(multi.ok());
    }
    if (!multi.ok()) {
        EXPECT_NE(multi.msg().find("kprobe.multi link_create"), std::string::npos) << multi.msg();
    }
}

TEST(RuntimeWildcards, FunctionTargetsCarryTheirAddresses) {
    auto libc = jitprobe::common::ElfFile::open("/lib/x86_64-linux-gnu/libc.so.6");
    ASSERT_TRUE(libc.ok()) << libc.status().msg();
    auto targets = expandFunctionTargets(*libc, globMatcher("strto*"), kMaxWildcardTargets);
    ASSERT_TRUE(targets.ok()) << targets.status().msg();
    std::set<uint64_t> addresses;
    for (const FunctionTarget &t : *targets) {
        EXPECT_NE(t.address, 0u) << t.name;
        addresses.insert(t.address);
    }
    EXPECT_EQ(addresses.size(), targets->size()); // one target per address
    EXPECT_TRUE(std::is_sorted(targets->begin(), targets->end(),
                               [](const auto &a, const auto &b) { return a.name < b.name; }));
}
