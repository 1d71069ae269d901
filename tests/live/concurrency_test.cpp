// The documented thread-safety contract (BPF.h): one thread polls buffers while another reads
// and updates tables of the same BPF object. Run under -DJITPROBE_TSAN=ON to check for races.
#include "LiveSupport.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <thread>

using namespace jitprobe;
using namespace jitprobe::testing;

namespace {

const char *kProbe = R"(
struct { __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY); __uint(key_size, 4);
         __uint(value_size, 4); } events SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 1 << 16); } ring SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024);
         __type(key, __u32); __type(value, __u64); } table SEC(".maps");
SEC("tracepoint/syscalls/sys_enter_getppid") int jp_conc(void *ctx) {
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID) return 0;
    __u64 v = 1;
    bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &v, sizeof(v));
    bpf_ringbuf_output(&ring, &v, sizeof(v), 0);
    return 0;
}
)";

} // namespace

TEST(Concurrency, PollInOneThreadTablesInAnother) {
    JP_REQUIRE_BPF_PRIVILEGES();
    std::string err;
    auto elf = compileBpfC(kProbe, {"TARGET_PID=" + std::to_string(::getpid())}, err);
    ASSERT_FALSE(elf.empty()) << err;
    BPF bpf;
    Status s = bpf.init_object(std::move(elf), {});
    ASSERT_TRUE(s.ok()) << s.msg();
    std::atomic<uint64_t> perf_events{0}, ring_events{0};
    ASSERT_TRUE(bpf.open_perf_buffer("events", [&](int, void *, uint32_t) { perf_events++; }).ok());
    ASSERT_TRUE(bpf.open_ring_buffer("ring", [&](void *, size_t) { ring_events++; return 0; }).ok());
    ASSERT_TRUE((s = bpf.attach_tracepoint("syscalls:sys_enter_getppid", "jp_conc")).ok()) << s.msg();
    auto table = bpf.get_hash_table<uint32_t, uint64_t>("table");
    ASSERT_TRUE(table.valid()) << table.status().msg();

    std::atomic<bool> stop{false};
    std::thread poller([&] {
        while (!stop) {
            bpf.poll_perf_buffers(5);
            bpf.poll_ring_buffer(5);
        }
    });
    constexpr int kRounds = 2000;
    int table_errors = 0;
    for (int i = 0; i < kRounds; i++) {
        ::syscall(SYS_getppid); // one perf + one ring event
        uint32_t key = uint32_t(i % 512);
        uint64_t got = 0;
        table_errors += !table.update_value(key, uint64_t(i)).ok();
        table_errors += !table.get_value(key, got).ok() || got != uint64_t(i);
        if (i % 100 == 0)
            table_errors += int(table.get_table_offline().size() > 512);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while ((perf_events < kRounds || ring_events < kRounds) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stop = true;
    poller.join();
    EXPECT_EQ(table_errors, 0);
    EXPECT_EQ(perf_events.load(), uint64_t(kRounds));
    EXPECT_EQ(ring_events.load(), uint64_t(kRounds));
    EXPECT_EQ(table.get_table_offline().size(), 512u);
}
