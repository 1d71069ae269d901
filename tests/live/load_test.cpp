// Load: an event flood (1M getpid() calls) into a small perf buffer read by a slow consumer.
// Every event is accounted for: received + lost == generated, exactly; memory stays bounded.
#include "LiveSupport.h"

#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

using namespace jitprobe;
using namespace jitprobe::testing;

namespace {

constexpr int kCalls = 1'000'000;

// counters[0]: outputs attempted, [1]: outputs the kernel refused (buffer full).
const char *kFlood = R"(
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4);
         __uint(value_size, 4); } flood SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1);
         __type(key, __u32); __type(value, __u32); } target SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 2);
         __type(key, __u32); __type(value, __u64); } counters SEC(".maps");
SEC("tracepoint/syscalls/sys_enter_getpid") int jp_flood(void *ctx) {
    __u32 zero = 0, one = 1;
    __u32 *want = bpf_map_lookup_elem(&target, &zero);
    if (!want || *want != (bpf_get_current_pid_tgid() >> 32)) return 0;
    __u64 seq = 0, *sent = bpf_map_lookup_elem(&counters, &zero), *refused = bpf_map_lookup_elem(&counters, &one);
    if (!sent || !refused) return 0;
    seq = __sync_fetch_and_add(sent, 1);
    if (bpf_perf_event_output(ctx, &flood, BPF_F_CURRENT_CPU, &seq, sizeof(seq)) < 0)
        __sync_fetch_and_add(refused, 1);
    return 0;
}
)";

long rssKb() {
    std::ifstream in("/proc/self/statm");
    long size = 0, resident = 0;
    in >> size >> resident;
    return resident * (::sysconf(_SC_PAGESIZE) / 1024);
}

void pinToCpu0() {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    ::sched_setaffinity(0, sizeof set, &set);
}

// A child pinned to CPU 0 that waits for a byte on FD, then calls getpid() kCalls times.
pid_t startFlooder(int &go_fd) {
    int p[2];
    if (::pipe(p) != 0)
        return -1;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(p[1]);
        pinToCpu0();
        char c;
        if (::read(p[0], &c, 1) != 1)
            ::_exit(2);
        for (int i = 0; i < kCalls; i++)
            ::syscall(SYS_getpid);
        ::_exit(0);
    }
    ::close(p[0]);
    go_fd = p[1];
    return pid;
}

struct Tally {
    uint64_t received = 0, lost = 0;
};

} // namespace

TEST(Load, PerfFloodEveryEventReceivedOrReportedLost) {
    JP_REQUIRE_BPF_PRIVILEGES();
    std::string err;
    auto elf = compileBpfC(kFlood, {}, err);
    ASSERT_FALSE(elf.empty()) << err;
    BPF bpf;
    Status s = bpf.init_object(std::move(elf), {});
    ASSERT_TRUE(s.ok()) << s.msg();
    Tally t;
    s = bpf.open_perf_buffer(
        "flood",
        [&](int, void *, uint32_t size) {
            EXPECT_GE(size, 8u);
            t.received++;
            // The deliberately slow consumer (<= 32k events/s, far below the flood's rate),
            // so the 8-page buffers overflow however idle the machine is.
            if (t.received % 16 == 0)
                std::this_thread::sleep_for(std::chrono::microseconds(500));
        },
        [&](int, uint64_t lost) { t.lost += lost; }, 8);
    ASSERT_TRUE(s.ok()) << s.msg();
    ASSERT_TRUE((s = bpf.attach_tracepoint("syscalls:sys_enter_getpid", "jp_flood")).ok()) << s.msg();
    const long rss_before = rssKb();
    int go = -1;
    pid_t child = startFlooder(go);
    ASSERT_GT(child, 0);
    ASSERT_TRUE(bpf.get_array_table<uint32_t>("target").update_value(0, uint32_t(child)).ok());
    ASSERT_EQ(::write(go, "g", 1), 1);
    ::close(go);
    int status = 0;
    while (::waitpid(child, &status, WNOHANG) == 0)
        ASSERT_GE(bpf.poll_perf_buffer("flood", 20), 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    while (bpf.poll_perf_buffer("flood", 50) > 0) {
    }
    // The kernel writes a LOST record only before the next sample on that CPU: one more
    // event from CPU 0 flushes the count of what the flood lost there.
    ASSERT_TRUE(bpf.get_array_table<uint32_t>("target").update_value(0, uint32_t(::getpid())).ok());
    std::thread([] { pinToCpu0(); ::syscall(SYS_getpid); }).join();
    while (bpf.poll_perf_buffer("flood", 100) > 0) {
    }
    uint64_t generated = 0, refused = 0;
    ASSERT_TRUE(bpf.get_array_table<uint64_t>("counters").get_value(0, generated).ok());
    ASSERT_TRUE(bpf.get_array_table<uint64_t>("counters").get_value(1, refused).ok());
    EXPECT_EQ(generated, uint64_t(kCalls) + 1);
    EXPECT_GT(refused, 0u) << "the consumer was not slow enough to lose anything";
    EXPECT_EQ(t.received + refused, generated);
    EXPECT_EQ(t.lost, refused) << "lost-event records must report every refused output";
    EXPECT_LT(rssKb() - rss_before, 32 * 1024) << "memory grew with the flood";
    std::printf("flood: generated %lu, received %lu, lost %lu\n", (unsigned long)generated,
                (unsigned long)t.received, (unsigned long)t.lost);
}
