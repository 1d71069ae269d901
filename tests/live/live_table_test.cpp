// Array, per-CPU and raw tables on the live kernel.
#include "LiveSupport.h"

#include <unistd.h>

#include <numeric>

using namespace jitprobe;
using namespace jitprobe::testing;

namespace {

const char *kTables = R"(
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 8);
         __type(key, __u32); __type(value, __u64); } arr SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 2);
         __type(key, __u32); __type(value, __u64); } pcpu_arr SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __uint(max_entries, 16);
         __type(key, __u32); __type(value, __u32); } pcpu_hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_STACK_TRACE); __uint(max_entries, 64);
         __uint(key_size, 4); __uint(value_size, 127 * 8); } stacks SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1);
         __type(key, __u32); __type(value, __s64); } last_stack SEC(".maps");
SEC("tracepoint/syscalls/sys_enter_openat") int fill(void *ctx) {
    __u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (pid != TARGET_PID) return 0;
    __u32 k = 3; __u64 *v = bpf_map_lookup_elem(&arr, &k);
    if (v) __sync_fetch_and_add(v, 1);
    k = 1; v = bpf_map_lookup_elem(&pcpu_arr, &k);
    if (v) *v += 1;
    k = 7; __u32 one = 1, *h = bpf_map_lookup_elem(&pcpu_hash, &k);
    if (h) *h += 1; else bpf_map_update_elem(&pcpu_hash, &k, &one, BPF_NOEXIST);
    __s64 id = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
    k = 0; bpf_map_update_elem(&last_stack, &k, &id, BPF_ANY);
    return 0;
}
)";

Status initTables(BPF &bpf) {
    std::string err;
    auto elf = compileBpfC(kTables, {"TARGET_PID=" + std::to_string(::getpid())}, err);
    if (elf.empty())
        return Status(-1, "clang failed: " + err);
    Status s = bpf.init_object(std::move(elf), {});
    return s.ok() ? bpf.attach_tracepoint("syscalls:sys_enter_openat", "fill") : s;
}

} // namespace

TEST(LiveTables, ArrayAndPercpuReadBack) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initTables(bpf);
    ASSERT_TRUE(s.ok()) << s.msg();
    openFileTimes("/etc/hostname", 12);
    ASSERT_TRUE(bpf.detach_tracepoint("syscalls:sys_enter_openat").ok());

    auto arr = bpf.get_array_table<uint64_t>("arr");
    ASSERT_TRUE(arr.valid()) << arr.status().msg();
    auto values = arr.get_table_offline();
    ASSERT_EQ(values.size(), 8u);
    EXPECT_EQ(values[3], 12u);
    EXPECT_EQ(std::accumulate(values.begin(), values.end(), uint64_t(0)), 12u);
    ASSERT_TRUE(arr.update_value(5, 99).ok());
    uint64_t v = 0;
    ASSERT_TRUE(arr.get_value(5, v).ok());
    EXPECT_EQ(v, 99u);
    EXPECT_EQ(arr.get_value(8, v).code(), ENOENT);

    auto pcpu = bpf.get_percpu_array_table<uint64_t>("pcpu_arr");
    ASSERT_TRUE(pcpu.valid()) << pcpu.status().msg();
    std::vector<uint64_t> per_cpu;
    ASSERT_TRUE(pcpu.get_value(1, per_cpu).ok());
    EXPECT_EQ(per_cpu.size(), size_t(libbpf_num_possible_cpus()));
    EXPECT_EQ(std::accumulate(per_cpu.begin(), per_cpu.end(), uint64_t(0)), 12u);

    auto phash = bpf.get_percpu_hash_table<uint32_t, uint32_t>("pcpu_hash");
    ASSERT_TRUE(phash.valid()) << phash.status().msg();
    auto entries = phash.get_table_offline();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].first, 7u);
    EXPECT_EQ(std::accumulate(entries[0].second.begin(), entries[0].second.end(), 0u), 12u);
    std::vector<uint32_t> fresh(size_t(libbpf_num_possible_cpus()), 5);
    ASSERT_TRUE(phash.update_value(9, fresh).ok());
    std::vector<uint32_t> back;
    ASSERT_TRUE(phash.get_value(9, back).ok());
    EXPECT_EQ(back, fresh);
    EXPECT_EQ(phash.update_value(9, {1}).code(), EINVAL);
    ASSERT_TRUE(phash.clear_table_non_atomic().ok());
    EXPECT_TRUE(phash.get_table_offline().empty());
}

TEST(LiveTables, StackTableGivesUserAddresses) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initTables(bpf);
    ASSERT_TRUE(s.ok()) << s.msg();
    openFileTimes("/etc/hostname", 1);
    int64_t id = -1;
    ASSERT_TRUE(bpf.get_array_table<int64_t>("last_stack").get_value(0, id).ok());
    ASSERT_GE(id, 0);
    auto stack = bpf.get_stack_table("stacks");
    ASSERT_TRUE(stack.valid()) << stack.status().msg();
    auto addrs = stack.get_stack_addr(int(id));
    ASSERT_FALSE(addrs.empty());
    EXPECT_NE(addrs[0], 0u);
}

TEST(LiveTables, MismatchesAreInvalidTablesNotCrashes) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    ASSERT_TRUE(initTables(bpf).ok());
    auto wrong = bpf.get_hash_table<uint64_t, uint64_t>("arr");
    EXPECT_FALSE(wrong.valid());
    EXPECT_NE(wrong.status().msg().find("key/value are 8/8 bytes, the map's are 4/8"),
              std::string::npos)
        << wrong.status().msg();
    uint64_t v;
    EXPECT_EQ(wrong.get_value(1, v).code(), EINVAL);
    EXPECT_TRUE(wrong.get_table_offline().empty());
    auto percpu_as_plain = bpf.get_array_table<uint64_t>("pcpu_arr");
    EXPECT_NE(percpu_as_plain.status().msg().find("per-CPU"), std::string::npos);
    auto missing = bpf.get_hash_table<uint32_t, uint64_t>("nope");
    EXPECT_EQ(missing.status().code(), ENOENT);
    EXPECT_NE(missing.status().msg().find("'arr'"), std::string::npos) << missing.status().msg();
    EXPECT_FALSE(bpf.get_stack_table("arr").valid());
}

TEST(LiveTables, RawTableExposesLayoutAndIterates) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    ASSERT_TRUE(initTables(bpf).ok());
    openFileTimes("/etc/hostname", 2);
    BPFTableRaw raw = bpf.get_raw_table("pcpu_hash");
    ASSERT_TRUE(raw.valid());
    EXPECT_EQ(raw.map_type_name(), "percpu_hash");
    EXPECT_TRUE(raw.is_percpu());
    EXPECT_EQ(raw.key_size(), 4u);
    EXPECT_EQ(raw.value_size(), 4u);
    EXPECT_EQ(raw.value_buffer_size(), 8u * size_t(libbpf_num_possible_cpus()));
    EXPECT_NE(raw.btf(), nullptr);
    EXPECT_GT(raw.btf_key_type_id(), 0u);
    EXPECT_GT(raw.btf_value_type_id(), 0u);
    int n = 0;
    ASSERT_TRUE(raw.for_each([&](const void *, const void *) { return ++n, true; }).ok());
    EXPECT_EQ(n, 1);
    EXPECT_EQ(bpf.get_map_fd("pcpu_hash"), raw.fd());
    EXPECT_EQ(bpf.get_map_fd("nope"), -1);
}
