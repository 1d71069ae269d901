// The whole path a user takes: a BCC-dialect probe string through BPF::init (the dlopen'ed
// frontend), attach_all, and results read back through the C++ API.
#include "LiveSupport.h"

#include <unistd.h>

#include <cstring>
#include <numeric>

using namespace jitprobe;
using namespace jitprobe::testing;

namespace {

std::string pidFlag() { return "-DTARGET_PID=" + std::to_string(::getpid()); }

Status initSource(BPF &bpf, const std::string &source, std::vector<std::string> cflags = {}) {
    InitOptions opts;
    opts.file_name = "live_probe.c";
    Status s = bpf.init(source, cflags, opts);
    return s.ok() ? bpf.attach_all() : s;
}

std::string replaceAll(std::string text, const std::string &from, const std::string &to) {
    for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
        text.replace(at, from.size(), to);
    return text;
}

struct Event {
    uint32_t pid;
    uint32_t flags;
    uint64_t magic;
};

const char *kEventProbe = R"(
struct event { u32 pid; u32 flags; u64 magic; };
BPF_PERF_OUTPUT(events);
BPF_RINGBUF_OUTPUT(ring, 8);
TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID) return 0;
    struct event e = {};
    e.pid = bpf_get_current_pid_tgid() >> 32;
    e.flags = args->flags;
    e.magic = 0xC0FFEE;
    events.perf_submit(args, &e, sizeof(e));
    ring.ringbuf_output(&e, sizeof(e), 0);
    return 0;
}
)";

} // namespace

TEST(LiveSource, TracepointHashCountsExactly) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initSource(bpf, R"(
BPF_HASH(counts, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (pid != TARGET_PID) return 0;
    counts.increment(pid);
    return 0;
}
)",
                          {pidFlag()});
    ASSERT_TRUE(s.ok()) << s.msg();
    openFileTimes("/etc/hostname", 23);
    auto entries = bpf.get_hash_table<uint32_t, uint64_t>("counts").get_table_offline();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].first, uint32_t(::getpid()));
    EXPECT_EQ(entries[0].second, 23u);
    ASSERT_FALSE(bpf.programs().empty());
    EXPECT_GT(bpf.programs()[0].insns, 0u);
}

TEST(LiveSource, UprobeAndUretprobeFromAttachDirectives) {
    JP_REQUIRE_BPF_PRIVILEGES();
    std::string source = replaceAll(R"(
// @attach uprobe:TARGET:jp_target_add -> on_add
// @attach uretprobe:TARGET:jp_target_add -> on_add_ret
BPF_ARRAY(stats, u64, 4);
int on_add(struct pt_regs *ctx) { stats.increment(0); return 0; }
int on_add_ret(struct pt_regs *ctx) {
    stats.increment(1, PT_REGS_RC(ctx));
    stats.increment(2);
    return 0;
}
)",
                                    "TARGET", UPROBE_TARGET);
    BPF bpf;
    Status s = initSource(bpf, source);
    ASSERT_TRUE(s.ok()) << s.msg();
    ASSERT_EQ(runUprobeTarget(9), 0);
    auto stats = bpf.get_array_table<uint64_t>("stats").get_table_offline();
    ASSERT_EQ(stats.size(), 4u);
    EXPECT_EQ(stats[0], 9u);
    EXPECT_EQ(stats[2], 9u);
    EXPECT_EQ(stats[1], 0u + 1 + 3 + 6 + 10 + 15 + 21 + 28 + 36); // partial sums of 0..i
}

TEST(LiveSource, BccStyleAttachUprobeCall) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init("BPF_ARRAY(hits, u64, 1);\n"
                        "int count_add(struct pt_regs *ctx) { hits.increment(0); return 0; }\n");
    ASSERT_TRUE(s.ok()) << s.msg();
    s = bpf.attach_uprobe(UPROBE_TARGET, "jp_target_add", "count_add");
    ASSERT_TRUE(s.ok()) << s.msg();
    ASSERT_EQ(runUprobeTarget(4), 0);
    uint64_t hits = 0;
    ASSERT_TRUE(bpf.get_array_table<uint64_t>("hits").get_value(0, hits).ok());
    EXPECT_EQ(hits, 4u);
}

TEST(LiveSource, PerfAndRingBufferEventsArriveWithPayload) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init(kEventProbe, {pidFlag()});
    ASSERT_TRUE(s.ok()) << s.msg();
    std::vector<Event> perf, ring;
    auto keep = [](std::vector<Event> &into, const void *data, size_t size) {
        Event e{};
        std::memcpy(&e, data, std::min(size, sizeof e));
        into.push_back(e);
    };
    ASSERT_TRUE(bpf.open_perf_buffer("events", [&](int, void *d, uint32_t n) { keep(perf, d, n); })
                    .ok());
    ASSERT_TRUE(bpf.open_ring_buffer("ring", [&](void *d, size_t n) { return keep(ring, d, n), 0; })
                    .ok());
    // Attach after opening the buffers: opening reads sysfs, which would count as an openat.
    s = bpf.attach_all();
    ASSERT_TRUE(s.ok()) << s.msg();
    openFileTimes("/etc/hostname", 7);
    for (int i = 0; i < 20 && (perf.size() < 7 || ring.size() < 7); i++) {
        bpf.poll_perf_buffers(50);
        bpf.poll_ring_buffer(50);
    }
    ASSERT_EQ(perf.size(), 7u);
    ASSERT_EQ(ring.size(), 7u);
    for (const auto &e : perf) {
        EXPECT_EQ(e.pid, uint32_t(::getpid()));
        EXPECT_EQ(e.magic, 0xC0FFEEu);
        EXPECT_EQ(e.flags & 3, 0u) << "O_RDONLY";
    }
    EXPECT_EQ(ring[6].magic, 0xC0FFEEu);
}

TEST(LiveSource, PercpuTablesSumToTheEventCount) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initSource(bpf, R"(
BPF_PERCPU_ARRAY(per_cpu, u64, 2);
BPF_PERCPU_HASH(per_pid, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (pid != TARGET_PID) return 0;
    per_cpu.increment(1);
    per_pid.increment(pid);
    return 0;
}
)",
                          {pidFlag()});
    ASSERT_TRUE(s.ok()) << s.msg();
    openFileTimes("/etc/hostname", 31);
    std::vector<uint64_t> values;
    ASSERT_TRUE(bpf.get_percpu_array_table<uint64_t>("per_cpu").get_value(1, values).ok());
    EXPECT_EQ(std::accumulate(values.begin(), values.end(), uint64_t(0)), 31u);
    auto per_pid = bpf.get_percpu_hash_table<uint32_t, uint64_t>("per_pid").get_table_offline();
    ASSERT_EQ(per_pid.size(), 1u);
    EXPECT_EQ(std::accumulate(per_pid[0].second.begin(), per_pid[0].second.end(), uint64_t(0)),
              31u);
}

TEST(LiveSource, CompileErrorNamesUserFileLineColumn) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    InitOptions opts;
    opts.file_name = "broken.c";
    Status s = bpf.init("BPF_HASH(counts, u32, u64);\n"
                        "TRACEPOINT_PROBE(syscalls, sys_enter_openat) {\n"
                        "    counts.increment(undeclared_thing);\n"
                        "    return 0;\n"
                        "}\n",
                        {}, opts);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.msg().find("broken.c:3:"), std::string::npos) << s.msg();
    EXPECT_NE(s.msg().find("undeclared_thing"), std::string::npos) << s.msg();
}

TEST(LiveSource, VerifierRejectionFromSource) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init("BPF_HASH(m, u32, u64);\n"
                        "TRACEPOINT_PROBE(syscalls, sys_enter_openat) {\n"
                        "    u32 k = 0;\n"
                        "    u64 *v = m.lookup(&k);\n"
                        "    return *v;\n"
                        "}\n");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.msg().find("verifier rejected the program"), std::string::npos) << s.msg();
    EXPECT_NE(s.msg().find("invalid mem access"), std::string::npos) << s.msg();
}

TEST(LiveSource, KprobeConventionFailsClearlyAtAttach) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init("int kprobe__vfs_read(struct pt_regs *ctx) { return 0; }\n");
    ASSERT_TRUE(s.ok()) << "kprobe programs load here: " << s.msg();
    s = bpf.attach_all();
    EXPECT_NE(s.msg().find("kprobe 'vfs_read': this kernel has no kprobe support "
                           "(CONFIG_KPROBES is not set)"),
              std::string::npos)
        << s.msg();
}

TEST(LiveSource, UnknownTracepointIsNamed) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initSource(bpf, "TRACEPOINT_PROBE(syscalls, sys_enter_opnat) { return 0; }\n");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.msg().find("sys_enter_opnat"), std::string::npos) << s.msg();
    EXPECT_NE(s.msg().find("sys_enter_openat"), std::string::npos) << "a suggestion: " << s.msg();
}
