// uprobes, uretprobes and USDT probes on the live kernel.
#include "LiveSupport.h"

#include <time.h>
#include <unistd.h>

#include <stdexcept>

using namespace jitprobe;
using namespace jitprobe::testing;

namespace {

const char *kUprobes = R"(
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4);
         __type(key, __u32); __type(value, __u64); } stats SEC(".maps");
SEC("uprobe") int on_add(struct pt_regs *ctx) {
    __u32 k = 0; __u64 *v = bpf_map_lookup_elem(&stats, &k);
    if (v) __sync_fetch_and_add(v, 1);
    return 0;
}
SEC("uretprobe") int on_add_ret(struct pt_regs *ctx) {
    __u32 k = 1; __u64 *v = bpf_map_lookup_elem(&stats, &k);
    if (v) __sync_fetch_and_add(v, (long)PT_REGS_RC(ctx));
    k = 2; v = bpf_map_lookup_elem(&stats, &k);
    if (v) __sync_fetch_and_add(v, 1);
    return 0;
}
)";

const char *kUsdt = R"(
#include <stdbool.h>
#include <bpf/usdt.bpf.h>
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1);
         __type(key, __u32); __type(value, __u64); } throws SEC(".maps");
SEC("usdt") int on_throw(struct pt_regs *ctx) {
    __u32 k = 0; __u64 *v = bpf_map_lookup_elem(&throws, &k);
    if (v) __sync_fetch_and_add(v, 1);
    return 0;
}
)";

Status initFrom(BPF &bpf, const char *source, frontend::ProgramInfo info = {}) {
    std::string err;
    auto elf = compileBpfC(source, {}, err);
    if (elf.empty())
        return Status(-1, "clang failed: " + err);
    return bpf.init_object(std::move(elf), std::move(info));
}

uint64_t slot(BPF &bpf, const char *map, int index) {
    uint64_t v = ~0ull;
    auto s = bpf.get_array_table<uint64_t>(map).get_value(index, v);
    EXPECT_TRUE(s.ok()) << s.msg();
    return v;
}

// acc = jp_target_add(acc, i) for i < n: the return values are the partial sums of 0..i.
uint64_t sumOfReturns(int n) {
    uint64_t acc = 0, total = 0;
    for (int i = 0; i < n; i++)
        total += (acc += i);
    return total;
}

} // namespace

TEST(LiveUprobe, CountsExactlyTheCallsAndReturnValues) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    ASSERT_TRUE(initFrom(bpf, kUprobes).ok());
    Status s = bpf.attach_uprobe(UPROBE_TARGET, "jp_target_add", "on_add");
    ASSERT_TRUE(s.ok()) << s.msg();
    s = bpf.attach_uprobe(UPROBE_TARGET, "jp_target_add", "on_add_ret", 0, BPF_PROBE_RETURN);
    ASSERT_TRUE(s.ok()) << s.msg();
    ASSERT_EQ(runUprobeTarget(13), 0);
    EXPECT_EQ(slot(bpf, "stats", 0), 13u);
    EXPECT_EQ(slot(bpf, "stats", 2), 13u);
    EXPECT_EQ(slot(bpf, "stats", 1), sumOfReturns(13));

    ASSERT_TRUE(bpf.detach_uprobe(UPROBE_TARGET, "jp_target_add").ok());
    ASSERT_EQ(runUprobeTarget(3), 0);
    EXPECT_EQ(slot(bpf, "stats", 0), 13u) << "entry probe still attached";
    EXPECT_EQ(slot(bpf, "stats", 2), 16u);
}

TEST(LiveUprobe, AttachAllParsesBinarySymbolTargets) {
    JP_REQUIRE_BPF_PRIVILEGES();
    frontend::ProgramInfo info;
    info.programs.push_back(
        programSpec("on_add", "uprobe", std::string(UPROBE_TARGET) + ":jp_target_add"));
    info.programs.push_back(
        programSpec("on_add_ret", "uretprobe", std::string(UPROBE_TARGET) + ":jp_target_add"));
    BPF bpf;
    ASSERT_TRUE(initFrom(bpf, kUprobes, info).ok());
    Status s = bpf.attach_all();
    ASSERT_TRUE(s.ok()) << s.msg();
    ASSERT_EQ(runUprobeTarget(6), 0);
    EXPECT_EQ(slot(bpf, "stats", 0), 6u);
    EXPECT_EQ(slot(bpf, "stats", 1), sumOfReturns(6));
}

TEST(LiveUprobe, MissingSymbolNamesBinaryAndSymbol) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    ASSERT_TRUE(initFrom(bpf, kUprobes).ok());
    Status s = bpf.attach_uprobe(UPROBE_TARGET, "jp_no_such_function", "on_add");
    EXPECT_EQ(s.code(), ENOENT);
    EXPECT_NE(s.msg().find("prog 'on_add': failed to attach uprobe '" + std::string(UPROBE_TARGET) +
                           ":jp_no_such_function'"),
              std::string::npos)
        << s.msg();
    EXPECT_NE(s.msg().find("ENOENT"), std::string::npos) << s.msg();
    s = bpf.attach_uprobe("/no/such/binary", "main", "on_add");
    EXPECT_EQ(s.code(), ENOENT);
    EXPECT_NE(s.msg().find("'/no/such/binary' does not exist"), std::string::npos) << s.msg();
}

TEST(LiveUsdt, LibstdcxxThrowProbeCountsThisProcessThrows) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initFrom(bpf, kUsdt);
    ASSERT_TRUE(s.ok()) << s.msg();
    s = bpf.attach_usdt("/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "libstdcxx", "throw",
                        "on_throw", ::getpid());
    ASSERT_TRUE(s.ok()) << s.msg();
    for (int i = 0; i < 4; i++) {
        try {
            throw std::runtime_error("counted");
        } catch (const std::exception &) {
        }
    }
    EXPECT_EQ(slot(bpf, "throws", 0), 4u);
}

TEST(LiveUprobe, GlibcVersionedAliasIsNotAmbiguous) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    ASSERT_TRUE(initFrom(bpf, kUprobes).ok());
    // clock_nanosleep@GLIBC_2.2.5 and @@GLIBC_2.17 share an address; libbpf 1.1 refuses it.
    Status s = bpf.attach_uprobe("/lib/x86_64-linux-gnu/libc.so.6", "clock_nanosleep", "on_add",
                                 0, BPF_PROBE_ENTRY, ::getpid());
    ASSERT_TRUE(s.ok()) << s.msg();
    timespec ts{0, 1000};
    for (int i = 0; i < 3; i++)
        ::clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, nullptr);
    EXPECT_EQ(slot(bpf, "stats", 0), 3u);
}
