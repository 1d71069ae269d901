// Target-string parsing and suggestions (runtime/src/AttachTarget), no privileges needed.
#include "attach/AttachTarget.h"
#include "attach/ElfOffsets.h"

#include <gtest/gtest.h>
#include <linux/perf_event.h>

using namespace jitprobe::detail;

TEST(RuntimeAttachTarget, UprobeSplitsAtLastColonAndOffset) {
    auto t = parseUprobeTarget("/lib/x86_64-linux-gnu/libc.so.6:malloc+0x4");
    ASSERT_TRUE(t.ok()) << t.status().msg();
    EXPECT_EQ(t->binary, "/lib/x86_64-linux-gnu/libc.so.6");
    EXPECT_EQ(t->symbol, "malloc");
    EXPECT_EQ(t->offset, 4u);
    t = parseUprobeTarget("/weird:dir/bin:main+16");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->binary, "/weird:dir/bin");
    EXPECT_EQ(t->symbol, "main");
    EXPECT_EQ(t->offset, 16u);
    EXPECT_FALSE(parseUprobeTarget("/bin/ls").ok());
    EXPECT_FALSE(parseUprobeTarget("/bin/ls:").ok());
    EXPECT_FALSE(parseUprobeTarget("/bin/ls:main+zz").ok());
    EXPECT_NE(parseUprobeTarget("nocolon").status().msg().find("invalid uprobe target 'nocolon'"),
              std::string::npos);
}

TEST(RuntimeAttachTarget, UsdtTakesLastTwoColons) {
    auto t = parseUsdtTarget("/usr/bin/python3.11:python:function__entry");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->binary, "/usr/bin/python3.11");
    EXPECT_EQ(t->provider, "python");
    EXPECT_EQ(t->name, "function__entry");
    EXPECT_FALSE(parseUsdtTarget("/bin/x:onlyone").ok());
    EXPECT_FALSE(parseUsdtTarget("/bin/x::name").ok());
}

TEST(RuntimeAttachTarget, TracepointAndKprobe) {
    auto tp = parseTracepoint("syscalls:sys_enter_openat");
    ASSERT_TRUE(tp.ok());
    EXPECT_EQ(tp->category, "syscalls");
    EXPECT_EQ(tp->event, "sys_enter_openat");
    EXPECT_TRUE(parseTracepoint("sched/sched_switch").ok());
    EXPECT_FALSE(parseTracepoint("sched_switch").ok());
    EXPECT_FALSE(parseTracepoint("a:b:c").ok());
    auto kp = parseKprobeTarget("vfs_read+0x10");
    ASSERT_TRUE(kp.ok());
    EXPECT_EQ(kp->function, "vfs_read");
    EXPECT_EQ(kp->offset, 16u);
}

TEST(RuntimeAttachTarget, PerfEventDefaultsAndRates) {
    auto p = parsePerfEventTarget("software:cpu-clock");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->type, uint32_t(PERF_TYPE_SOFTWARE));
    EXPECT_EQ(p->config, uint32_t(PERF_COUNT_SW_CPU_CLOCK));
    EXPECT_EQ(p->sample_freq, 99u);
    EXPECT_EQ(p->sample_period, 0u);
    p = parsePerfEventTarget("software:page-faults:period=1000");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->config, uint32_t(PERF_COUNT_SW_PAGE_FAULTS));
    EXPECT_EQ(p->sample_period, 1000u);
    EXPECT_EQ(p->sample_freq, 0u);
    p = parsePerfEventTarget("software:context-switches:freq=7");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->sample_freq, 7u);
    EXPECT_FALSE(parsePerfEventTarget("software:cpu-clock:freq=0").ok());
    EXPECT_FALSE(parsePerfEventTarget("hardware:cycles").ok());
    EXPECT_NE(parsePerfEventTarget("software:cpu-clocks").status().msg().find("unknown software"),
              std::string::npos);
}

TEST(RuntimeAttachTarget, CpuListsAndNumbers) {
    auto cpus = parseCpuList("0-2,5,7-8\n");
    ASSERT_TRUE(cpus.ok());
    EXPECT_EQ(cpus.value(), (std::vector<int>{0, 1, 2, 5, 7, 8}));
    EXPECT_FALSE(parseCpuList("3-1").ok());
    EXPECT_FALSE(parseCpuList("").ok());
    uint64_t v = 0;
    EXPECT_TRUE(parseUnsigned("0xFF", v));
    EXPECT_EQ(v, 255u);
    EXPECT_FALSE(parseUnsigned("99999999999999999999999", v));
    EXPECT_FALSE(parseUnsigned("0x", v));
}

TEST(RuntimeElfSymbols, VersionedAliasesResolveToOneAddress) {
    const std::string libc = "/lib/x86_64-linux-gnu/libc.so.6";
    auto vaddr = elfFunctionAddress(libc, "clock_nanosleep");
    ASSERT_TRUE(vaddr.ok()) << vaddr.status().msg();
    EXPECT_GT(vaddr.value(), 0u);
    auto offset = elfVaddrToFileOffset(libc, vaddr.value());
    ASSERT_TRUE(offset.ok()) << offset.status().msg();
    EXPECT_EQ(elfFunctionAddress(libc, "jp_no_such_symbol").status().code(), ENOENT);
    EXPECT_FALSE(elfFunctionAddress("/etc/hostname", "main").ok());
}

TEST(RuntimeAttachTarget, NetworkAndCgroupTargets) {
    auto x = parseXdpTarget("veth0");
    ASSERT_TRUE(x.ok());
    EXPECT_EQ(x->iface, "veth0");
    EXPECT_EQ(x->mode, XdpMode::Default);
    EXPECT_EQ(parseXdpTarget("veth0:generic")->mode, XdpMode::Generic);
    EXPECT_EQ(parseXdpTarget("veth0:native")->mode, XdpMode::Native);
    EXPECT_NE(parseXdpTarget("veth0:fast").status().msg().find("not generic or native"),
              std::string::npos);
    EXPECT_FALSE(parseXdpTarget("").ok());
    EXPECT_FALSE(parseXdpTarget("averyveryverylongname0").ok()); // IFNAMSIZ
    auto tc = parseTcTarget("eth0:egress");
    ASSERT_TRUE(tc.ok());
    EXPECT_EQ(tc->where, "eth0");
    EXPECT_FALSE(tc->ingress);
    EXPECT_TRUE(parseTcTarget("eth0:ingress")->ingress);
    EXPECT_FALSE(parseTcTarget("eth0").ok());
    EXPECT_FALSE(parseTcTarget("eth0:in").ok());
    EXPECT_FALSE(parseTcTarget("a/b:ingress").ok());
    auto cg = parseCgroupTarget("/sys/fs/cgroup/a:b:ingress");
    ASSERT_TRUE(cg.ok());
    EXPECT_EQ(cg->where, "/sys/fs/cgroup/a:b");
    EXPECT_TRUE(cg->ingress);
    EXPECT_FALSE(parseCgroupTarget("sys/fs/cgroup:egress").ok());
    EXPECT_FALSE(parseCgroupTarget("/sys/fs/cgroup").ok());
    EXPECT_EQ(*parseSocketTarget("lo"), "lo");
    EXPECT_FALSE(parseSocketTarget("lo:1").ok());
}
