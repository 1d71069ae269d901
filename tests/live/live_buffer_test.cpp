// Perf buffers, ring buffers and trace_pipe on the live kernel.
#include "LiveSupport.h"

#include "jitprobe/TracePipe.h"

#include <unistd.h>

#include <chrono>
#include <algorithm>
#include <cstring>
#include <span>

using namespace jitprobe;
using namespace jitprobe::testing;

namespace {

const char *kEvents = R"(
struct event { __u32 pid; __u32 seq; __u64 magic; char tag[8]; };
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4);
         __uint(value_size, 4); } events SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 1 << 16); } ring SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1);
         __type(key, __u32); __type(value, __u32); } seqs SEC(".maps");
static __always_inline int fill(struct event *e) {
    __u32 pid = bpf_get_current_pid_tgid() >> 32, k = 0;
    if (pid != TARGET_PID) return 0;
    __u32 *seq = bpf_map_lookup_elem(&seqs, &k);
    if (!seq) return 0;
    e->pid = pid; e->seq = __sync_fetch_and_add(seq, 1); e->magic = 0xC0FFEE;
    __builtin_memcpy(e->tag, "openat!", 8);
    return 1;
}
SEC("tracepoint/syscalls/sys_enter_openat") int to_perf(void *ctx) {
    struct event e = {};
    if (fill(&e)) bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
    return 0;
}
SEC("tracepoint/syscalls/sys_enter_openat") int to_ring(void *ctx) {
    struct event e = {};
    if (fill(&e)) bpf_ringbuf_output(&ring, &e, sizeof(e), 0);
    return 0;
}
SEC("tracepoint/syscalls/sys_enter_openat") int to_printk(void *ctx) {
    __u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (pid == TARGET_PID) bpf_printk("jp-live-printk pid=%d", pid);
    return 0;
}
)";

struct Event {
    uint32_t pid, seq;
    uint64_t magic;
    char tag[8];
};

Status initEvents(BPF &bpf) {
    std::string err;
    auto elf = compileBpfC(kEvents, {"TARGET_PID=" + std::to_string(::getpid())}, err);
    if (elf.empty())
        return Status(-1, "clang failed: " + err);
    return bpf.init_object(std::move(elf), {});
}

void checkEvents(const std::vector<Event> &got, size_t n) {
    ASSERT_EQ(got.size(), n);
    for (size_t i = 0; i < got.size(); i++) {
        EXPECT_EQ(got[i].pid, uint32_t(::getpid()));
        EXPECT_EQ(got[i].magic, 0xC0FFEEu);
        EXPECT_STREQ(got[i].tag, "openat!");
    }
}

} // namespace

TEST(LiveBuffers, PerfBufferDeliversPayloads) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status init = initEvents(bpf);
    ASSERT_TRUE(init.ok()) << init.msg();
    std::vector<Event> got;
    uint64_t lost = 0;
    auto raw_cb = [](void *cookie, void *data, int size) {
        Event e{};
        if (size >= int(sizeof e))
            std::memcpy(&e, data, sizeof e);
        static_cast<std::vector<Event> *>(cookie)->push_back(e);
    };
    Status s = bpf.open_perf_buffer("events", raw_cb, nullptr, &got);
    ASSERT_TRUE(s.ok()) << s.msg();
    ASSERT_TRUE(bpf.attach_tracepoint("syscalls:sys_enter_openat", "to_perf").ok());
    openFileTimes("/etc/hostname", 25);
    for (int i = 0; i < 20 && got.size() < 25; i++)
        ASSERT_GE(bpf.poll_perf_buffer("events", 100), 0);
    checkEvents(got, 25);
    EXPECT_EQ(bpf.get_perf_buffer("events")->lost_total(), lost);
    EXPECT_EQ(bpf.get_perf_buffer("events")->received_total(), 25u);
    EXPECT_TRUE(bpf.close_perf_buffer("events").ok());
    EXPECT_EQ(bpf.poll_perf_buffer("events", 0), -ENOENT);
}

TEST(LiveBuffers, PerfBufferStdFunctionAndBurst) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status init = initEvents(bpf);
    ASSERT_TRUE(init.ok()) << init.msg();
    size_t count = 0;
    uint64_t lost = 0;
    Status s = bpf.open_perf_buffer(
        "events", [&](int, void *, uint32_t size) { count += size >= sizeof(Event); },
        [&](int, uint64_t n) { lost += n; });
    ASSERT_TRUE(s.ok()) << s.msg();
    ASSERT_TRUE(bpf.attach_tracepoint("syscalls:sys_enter_openat", "to_perf").ok());
    // A burst with no polling in between: the default 256 pages per CPU must hold it all.
    openFileTimes("/etc/hostname", 20000);
    while (bpf.poll_perf_buffers(100) > 0) {
    }
    EXPECT_EQ(lost, 0u);
    EXPECT_EQ(count, 20000u);
}

TEST(LiveBuffers, BadPageCountAndWrongMapKind) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status init = initEvents(bpf);
    ASSERT_TRUE(init.ok()) << init.msg();
    Status s = bpf.open_perf_buffer("events", PerfEventCallback{}, nullptr, 3);
    EXPECT_EQ(s.code(), EINVAL);
    EXPECT_NE(s.msg().find("power of two"), std::string::npos) << s.msg();
    s = bpf.open_perf_buffer("ring", PerfEventCallback{});
    EXPECT_NE(s.msg().find("not a perf event array"), std::string::npos) << s.msg();
    s = bpf.open_ring_buffer("nosuch", RingBufferCallback{});
    EXPECT_EQ(s.code(), ENOENT);
}

TEST(LiveBuffers, RingBufferDeliversPayloads) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status init = initEvents(bpf);
    ASSERT_TRUE(init.ok()) << init.msg();
    std::vector<Event> got;
    Status s = bpf.open_ring_buffer("ring", [&](void *data, size_t size) {
        Event e{};
        if (size >= sizeof e)
            std::memcpy(&e, data, sizeof e);
        got.push_back(e);
        return 0;
    });
    ASSERT_TRUE(s.ok()) << s.msg();
    ASSERT_TRUE(bpf.attach_tracepoint("syscalls:sys_enter_openat", "to_ring").ok());
    openFileTimes("/etc/hostname", 11);
    for (int i = 0; i < 20 && got.size() < 11; i++)
        ASSERT_GE(bpf.poll_ring_buffer(100), 0);
    checkEvents(got, 11);
    for (size_t i = 0; i < got.size(); i++)
        EXPECT_EQ(got[i].seq, i) << "ring buffer preserves order";
}

TEST(LiveBuffers, RingBufferBatchesAreSpansInOrder) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status init = initEvents(bpf);
    ASSERT_TRUE(init.ok()) << init.msg();
    EXPECT_EQ(bpf.open_ring_buffer_batch("ring", RingBufferBatchCallback{}).code(), EINVAL);
    std::vector<Event> got;
    std::vector<size_t> batches;
    Status s = bpf.open_ring_buffer_batch("ring", [&](std::span<const RingRecord> records) {
        batches.push_back(records.size());
        for (const RingRecord &r : records) {
            Event e{};
            EXPECT_EQ(r.size, sizeof e);
            EXPECT_EQ(reinterpret_cast<uintptr_t>(r.data) % 8, 0u) << "records are 8-byte aligned";
            std::memcpy(&e, r.data, std::min(r.size, sizeof e));
            got.push_back(e);
        }
    });
    ASSERT_TRUE(s.ok()) << s.msg();
    EXPECT_EQ(bpf.open_ring_buffer_batch("ring", [](std::span<const RingRecord>) {}).code(), EEXIST);
    ASSERT_TRUE(bpf.attach_tracepoint("syscalls:sys_enter_openat", "to_ring").ok());
    openFileTimes("/etc/hostname", 25); // all written before the first poll: one batch
    ASSERT_GE(bpf.consume_ring_buffer(), 25);
    ASSERT_FALSE(batches.empty());
    EXPECT_EQ(batches.front(), 25u) << "what one consume found comes as one span";
    openFileTimes("/etc/hostname", 5);
    for (int i = 0; i < 20 && got.size() < 30; i++)
        ASSERT_GE(bpf.poll_ring_buffer(100), 0);
    checkEvents(got, 30);
    for (size_t i = 0; i < got.size(); i++)
        EXPECT_EQ(got[i].seq, i) << "batches keep ring order";
    EXPECT_EQ(bpf.consume_ring_buffer(), 0);
    size_t total = 0;
    for (size_t n : batches)
        total += n;
    EXPECT_EQ(total, 30u) << "no empty batch and no record twice";
}

// Script::run's exit path: links closed on a background thread, joined by the next detach
// (or the destructor); once joined, no probe fires.
TEST(LiveBuffers, DetachInBackgroundReleasesEveryLink) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status init = initEvents(bpf);
    ASSERT_TRUE(init.ok()) << init.msg();
    size_t got = 0;
    ASSERT_TRUE(bpf.open_ring_buffer("ring", [&](void *, size_t) { return ++got, 0; }).ok());
    ASSERT_TRUE(bpf.attach_tracepoint("syscalls:sys_enter_openat", "to_ring").ok());
    ASSERT_TRUE(bpf.attach_tracepoint("syscalls:sys_enter_openat", "to_perf").ok());
    openFileTimes("/etc/hostname", 3);
    ASSERT_GE(bpf.consume_ring_buffer(), 3); // (and the attach's own tracefs opens)
    bpf.detach_all_in_background();
    EXPECT_TRUE(bpf.attachments().empty());
    ASSERT_TRUE(bpf.detach_all().ok()); // waits for the background detach
    bpf.consume_ring_buffer();
    size_t before = got;
    openFileTimes("/etc/hostname", 3);
    EXPECT_EQ(bpf.consume_ring_buffer(), 0) << "a probe still fired after the detach";
    EXPECT_EQ(got, before);
    ASSERT_TRUE(bpf.attach_tracepoint("syscalls:sys_enter_openat", "to_ring").ok()) << "attachable again";
}

TEST(LiveBuffers, TracePipeReturnsPrintkLines) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status init = initEvents(bpf);
    ASSERT_TRUE(init.ok()) << init.msg();
    TracePipe pipe;
    // A libbpf-style object calls the kernel's bpf_printk: its lines are on the host's
    // trace_pipe, read here from a tracefs instance (the global pipe may have other readers).
    Status s = pipe.open_private();
    ASSERT_TRUE(s.ok()) << s.msg();
    ASSERT_TRUE(bpf.attach_tracepoint("syscalls:sys_enter_openat", "to_printk").ok());
    openFileTimes("/etc/hostname", 3);
    std::vector<TraceLine> mine;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (mine.size() < 3 && std::chrono::steady_clock::now() < deadline) {
        auto lines = pipe.read_fields(100);
        ASSERT_TRUE(lines.ok()) << lines.status().msg();
        for (auto &l : lines.value())
            if (l.msg.find("jp-live-printk") != std::string::npos)
                mine.push_back(l);
    }
    ASSERT_EQ(mine.size(), 3u);
    EXPECT_EQ(mine[0].pid, ::getpid()) << "a thread of this process";
    EXPECT_EQ(mine[0].msg, "jp-live-printk pid=" + std::to_string(::getpid()));
    pipe.close();
    EXPECT_EQ(readWholeFile("/sys/kernel/tracing/instances/jitprobe-" + std::to_string(::getpid()) +
                            "-0/trace"),
              "")
        << "the private instance is removed on close";
}
