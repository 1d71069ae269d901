// Errors the kernel gives on this machine (kprobes, fentry, verifier) and resource cleanup.
#include "LiveSupport.h"

#include <linux/perf_event.h>
#include <unistd.h>

#include <chrono>

using namespace jitprobe;
using namespace jitprobe::testing;

namespace {

Status initFrom(BPF &bpf, const std::string &source, frontend::ProgramInfo info = {},
                InitOptions opts = {}) {
    std::string err;
    auto elf = compileBpfC(source, {}, err);
    if (elf.empty())
        return Status(-1, "clang failed: " + err);
    return bpf.init_object(std::move(elf), std::move(info), opts);
}

const char *kKprobe = R"(
SEC("kprobe/vfs_read") int on_vfs_read(struct pt_regs *ctx) { return 0; }
)";

const char *kRejected = R"(
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4);
         __type(key, __u32); __type(value, __u64); } m SEC(".maps");
SEC("tracepoint/syscalls/sys_enter_openat") int bad_deref(void *ctx) {
    __u32 k = 0;
    __u64 *v = bpf_map_lookup_elem(&m, &k);
    return *v == 1; /* no NULL check */
}
)";

const char *kEverything = R"(
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1);
         __type(key, __u32); __type(value, __u64); } hits SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4);
         __uint(value_size, 4); } events SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 1 << 14); } ring SEC(".maps");
static __always_inline void hit(void) {
    __u32 k = 0; __u64 *v = bpf_map_lookup_elem(&hits, &k);
    if (v) __sync_fetch_and_add(v, 1);
}
SEC("tracepoint/syscalls/sys_enter_openat") int tp(void *ctx) { return 0; }
SEC("uprobe") int up(struct pt_regs *ctx) { hit(); return 0; }
SEC("uretprobe") int uret(struct pt_regs *ctx) { return 0; }
SEC("perf_event") int sample(void *ctx) { hit(); return 0; }
)";

} // namespace

TEST(LiveErrors, KprobeAttachSaysTheKernelHasNoKprobes) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initFrom(bpf, kKprobe);
    ASSERT_TRUE(s.ok()) << "kprobe programs load even without CONFIG_KPROBES: " << s.msg();
    s = bpf.attach_kprobe("vfs_read", "on_vfs_read");
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.msg().find("kprobe 'vfs_read': this kernel has no kprobe support "
                           "(CONFIG_KPROBES is not set)"),
              std::string::npos)
        << s.msg();
    s = bpf.attach_kprobe("vfs_read", "on_vfs_read", 0, BPF_PROBE_RETURN);
    EXPECT_NE(s.msg().find("kretprobe 'vfs_read'"), std::string::npos) << s.msg();
}

TEST(LiveErrors, VerifierRejectionCarriesVerifierText) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initFrom(bpf, kRejected);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), EACCES) << s.msg();
    EXPECT_NE(s.msg().find("prog 'bad_deref': verifier rejected the program:"), std::string::npos)
        << s.msg();
    EXPECT_NE(s.msg().find("invalid mem access 'map_value_or_null'"), std::string::npos)
        << s.msg();
    EXPECT_NE(s.msg().find("; return *v == 1;"), std::string::npos) << "source line: " << s.msg();
    EXPECT_EQ(bpf.load().msg(), s.msg()) << "a failed load stays failed";
    EXPECT_FALSE(bpf.get_raw_table("m").valid());
}

TEST(LiveErrors, CheckModeLoadsWithoutAttaching) {
    JP_REQUIRE_BPF_PRIVILEGES();
    InitOptions opts;
    opts.load_programs = false;
    BPF bpf;
    ASSERT_TRUE(initFrom(bpf, kEverything, {}, opts).ok());
    EXPECT_FALSE(bpf.loaded());
    EXPECT_EQ(bpf.programs()[0].insns, 0u);
    ASSERT_TRUE(bpf.load().ok());
    for (const auto &p : bpf.programs())
        EXPECT_GT(p.insns, 0u) << p.name;
    EXPECT_TRUE(bpf.attachments().empty());
}

TEST(LiveErrors, PerfEventSamplesOnEveryCpu) {
    JP_REQUIRE_BPF_PRIVILEGES();
    frontend::ProgramInfo info;
    info.programs.push_back(programSpec("sample", "perf_event", "software:cpu-clock:freq=999"));
    BPF bpf;
    ASSERT_TRUE(initFrom(bpf, kEverything, info).ok());
    Status s = bpf.attach_all();
    ASSERT_TRUE(s.ok()) << s.msg();
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (std::chrono::steady_clock::now() < end) {
    }
    uint64_t hits = 0;
    ASSERT_TRUE(bpf.get_array_table<uint64_t>("hits").get_value(0, hits).ok());
    EXPECT_GT(hits, 50u) << "~300 samples expected from 300 ms busy at 999 Hz";
    ASSERT_TRUE(bpf.detach_perf_event(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK).ok());
    EXPECT_EQ(bpf.attach_perf_event(PERF_TYPE_SOFTWARE, 0, "sample", 0, 0).code(), EINVAL);
}

TEST(LiveErrors, DestroyingReleasesEveryFdAndProbe) {
    JP_REQUIRE_BPF_PRIVILEGES();
    std::string err;
    auto elf = compileBpfC(kEverything, {}, err);
    ASSERT_FALSE(elf.empty()) << err;
    auto use_everything = [&] {
        BPF bpf;
        ASSERT_TRUE(bpf.init_object(elf, {}).ok());
        ASSERT_TRUE(bpf.attach_tracepoint("syscalls:sys_enter_openat", "tp").ok());
        ASSERT_TRUE(bpf.attach_uprobe(UPROBE_TARGET, "jp_target_add", "up").ok());
        ASSERT_TRUE(bpf.attach_uprobe(UPROBE_TARGET, "main", "uret", 0, BPF_PROBE_RETURN).ok());
        ASSERT_TRUE(bpf.attach_perf_event(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, "sample",
                                          0, 99).ok());
        ASSERT_TRUE(bpf.open_perf_buffer("events", PerfEventCallback{}).ok());
        ASSERT_TRUE(bpf.open_ring_buffer("ring", RingBufferCallback{}).ok());
        ASSERT_GT(countOpenFds(), 10);
    };
    use_everything(); // warm-up: libbpf caches kernel feature probes once per process
    int before = countOpenFds();
    use_everything();
    EXPECT_EQ(countOpenFds(), before);
    std::string events = readWholeFile("/sys/kernel/tracing/uprobe_events");
    EXPECT_EQ(events.find("jp_target_add"), std::string::npos) << events;
    EXPECT_EQ(events.find(UPROBE_TARGET), std::string::npos) << events;
}

TEST(LiveErrors, UseBeforeInitIsAnError) {
    BPF bpf;
    Status s = bpf.attach_tracepoint("syscalls:sys_enter_openat", "f");
    EXPECT_EQ(s.code(), EINVAL);
    EXPECT_NE(s.msg().find("call init() or init_object() first"), std::string::npos);
    EXPECT_FALSE(bpf.get_raw_table("x").valid());
    EXPECT_EQ(bpf.poll_ring_buffer(0), -ENOENT);
}

TEST(LiveErrors, FentryLoadFailureExplainsTheKernel) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initFrom(bpf, "SEC(\"fentry/vfs_read\") int BPF_PROG(on_read) { return 0; }\n");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), EPERM) << s.msg();
    EXPECT_NE(s.msg().find("prog 'on_read'"), std::string::npos) << s.msg();
    EXPECT_NE(s.msg().find("blocks fentry/fexit/LSM"), std::string::npos) << s.msg();
}

// An fmod_ret target the kernel does not have (a hook of a later kernel): libbpf fails before
// the load with ESRCH, and the message names the program and the missing function.
TEST(LiveErrors, MissingBtfAttachTargetIsNamed) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initFrom(bpf, "SEC(\"fmod_ret/jp_no_such_hook\") int BPF_PROG(on_hook, int ret) { return 0; }\n");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), ESRCH) << s.msg();
    EXPECT_NE(s.msg().find("prog 'on_hook'"), std::string::npos) << s.msg();
    EXPECT_NE(s.msg().find("this kernel has no function 'jp_no_such_hook' to attach to"), std::string::npos)
        << s.msg();
}
