// BCC's other table classes (jitprobe/BCCTables.h) on real maps: the string-keyed BPFTable with
// BTF printers/parsers, queue/stack tables, map-in-map, sockmap/sockhash, cgroup storage and
// build-id stack tables, each used the way BCC's C++ programs use them.
#include "LiveSupport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/perf_event.h>

#include <algorithm>
#include <chrono>
#include <memory>

using namespace jitprobe;

namespace {
constexpr const char *kLibc = "/lib/x86_64-linux-gnu/libc.so.6";

bool contains(const std::string &text, const std::string &part) {
    return text.find(part) != std::string::npos;
}
} // namespace

TEST(BccTables, StringTableReadsAndWritesBccText) {
    JP_REQUIRE_BPF_PRIVILEGES();
    auto bpf = std::make_unique<BPF>();
    Status s = bpf->init(R"(
struct key_t { u32 pid; char comm[8]; };
struct val_t { u64 n; u16 arr[2]; };
BPF_HASH(h, struct key_t, struct val_t, 16);
BPF_HASH(ints, int, int, 16);)");
    ASSERT_TRUE(s.ok()) << s.msg();
    BPFTable t = bpf->get_table("h");
    ASSERT_TRUE(t.valid()) << t.status().msg();
    // Decimal, hex and negative input; BCC's output: hex, "{ ... }", "[ ... ]", "\"...\"".
    ASSERT_TRUE(t.update_value("{ 42 \"bash\" }", "{ 0x10 [ 1 -1 ] }").ok());
    std::string v;
    ASSERT_TRUE(t.get_value("{ 0x2a \"bash\" }", v).ok());
    EXPECT_EQ(v, "{ 0x10 [ 0x1 0xffff ] }");
    // The typed view agrees on the bytes.
    struct K {
        uint32_t pid;
        char comm[8];
    } k{42, "bash"};
    struct V {
        uint64_t n;
        uint16_t arr[2];
    } typed{};
    auto typed_table = bpf->get_hash_table<K, V>("h");
    ASSERT_TRUE(typed_table.get_value(k, typed).ok());
    EXPECT_EQ(typed.n, 16u);
    EXPECT_EQ(typed.arr[1], 0xffff);
    std::vector<std::pair<std::string, std::string>> all;
    ASSERT_TRUE(t.get_table_offline(all).ok());
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].first, "{ 0x2a \"bash\" }");
    // Bad text is refused naming where; a missing key is ENOENT.
    Status bad = t.update_value("{ 42 bash }", "{ 1 [ 1 2 ] }");
    EXPECT_FALSE(bad.ok());
    EXPECT_TRUE(contains(bad.msg(), "offset 5")) << bad.msg();
    EXPECT_EQ(t.get_value("{ 7 \"x\" }", v).code(), ENOENT);
    EXPECT_FALSE(t.update_value("{ 1 \"far too long\" }", "{ 1 [ 1 2 ] }").ok());
    ASSERT_TRUE(t.remove_value("{ 42 \"bash\" }").ok());
    EXPECT_FALSE(t.get_value("{ 42 \"bash\" }", v).ok());
    // As in BCC, the table stops working with its BPF object.
    BPFTable ints = bpf->get_table("ints");
    ASSERT_TRUE(ints.update_value("7", "0x42").ok());
    bpf.reset();
    Status gone = ints.get_value("7", v);
    EXPECT_FALSE(gone.ok());
    EXPECT_TRUE(contains(gone.msg(), "destroyed")) << gone.msg();
}

TEST(BccTables, StringTablePerCpuValues) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init("BPF_PERCPU_HASH(h, int, u64, 4);");
    ASSERT_TRUE(s.ok()) << s.msg();
    BPFTable t = bpf.get_table("h");
    size_t ncpus = BPFTable::get_possible_cpu_count();
    std::vector<std::string> in(ncpus), out;
    for (size_t i = 0; i < ncpus; i++)
        in[i] = std::to_string(3 * i + 1);
    ASSERT_TRUE(t.update_value("5", in).ok());
    ASSERT_TRUE(t.get_value("5", out).ok());
    ASSERT_EQ(out.size(), ncpus);
    for (size_t i = 0; i < ncpus; i++)
        EXPECT_EQ(std::stoul(out[i], nullptr, 16), 3 * i + 1);
    std::string single;
    EXPECT_FALSE(t.get_value("5", single).ok()); // one string cannot hold per-CPU values
    EXPECT_FALSE(t.update_value("5", std::vector<std::string>(ncpus + 1, "1")).ok());
}

TEST(BccTables, QueueAndStackOrder) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init("BPF_QUEUE(q, u32, 4);\nBPF_STACK(st, u32, 4);\nBPF_HASH(h, u32, u32);");
    ASSERT_TRUE(s.ok()) << s.msg();
    auto q = bpf.get_queuestack_table<uint32_t>("q");
    auto st = bpf.get_queuestack_table<uint32_t>("st");
    ASSERT_TRUE(q.valid()) << q.status().msg();
    for (uint32_t i = 1; i <= 4; i++) {
        ASSERT_TRUE(q.push_value(i * 10).ok());
        ASSERT_TRUE(st.push_value(i * 10).ok());
    }
    EXPECT_FALSE(q.push_value(50).ok()); // full
    uint32_t v = 0;
    ASSERT_TRUE(q.get_head(v).ok());
    EXPECT_EQ(v, 10u);
    ASSERT_TRUE(st.get_head(v).ok());
    EXPECT_EQ(v, 40u);
    for (uint32_t i = 1; i <= 4; i++) {
        ASSERT_TRUE(q.pop_value(v).ok());
        EXPECT_EQ(v, i * 10);
        ASSERT_TRUE(st.pop_value(v).ok());
        EXPECT_EQ(v, (5 - i) * 10);
    }
    EXPECT_EQ(q.pop_value(v).code(), ENOENT);
    EXPECT_FALSE(bpf.get_queuestack_table<uint32_t>("h").valid());
    EXPECT_FALSE(bpf.get_queuestack_table<uint64_t>("q").valid()); // wrong value size
}

TEST(BccTables, MapInMapSlotsSteerTheProbe) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init(R"(
BPF_ARRAY(ex1, int, 4);
BPF_ARRAY(ex2, int, 4);
BPF_ARRAY(wide, u64, 4);
BPF_HASH_OF_MAPS(maps, int, "ex1", 4);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
    int key = 0;
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID) return 0;
    void *inner = maps.lookup(&key);
    if (!inner) return 0;
    int *v = bpf_map_lookup_elem(inner, &key);
    if (v) __sync_fetch_and_add(v, 1);
    return 0;
})",
                        {"-DTARGET_PID=" + std::to_string(::getpid())});
    ASSERT_TRUE(s.ok()) << s.msg();
    auto maps = bpf.get_map_in_map_table<int>("maps");
    ASSERT_TRUE(maps.valid()) << maps.status().msg();
    auto ex1 = bpf.get_array_table<int>("ex1"), ex2 = bpf.get_array_table<int>("ex2");
    ASSERT_TRUE(maps.update_value(0, ex2.get_fd()).ok());
    // An inner map of another shape: BCC's code -1.
    EXPECT_EQ(maps.update_value(1, bpf.get_array_table<uint64_t>("wide").get_fd()).code(), -1);
    ASSERT_TRUE(bpf.attach_all().ok());
    for (int i = 0; i < 3; i++)
        (void)::getppid();
    EXPECT_EQ(ex2[0], 3);
    EXPECT_EQ(ex1[0], 0);
    ASSERT_TRUE(maps.remove_value(0).ok());
    EXPECT_EQ(maps.remove_value(0).code(), -1);
    EXPECT_FALSE(bpf.get_map_in_map_table<int>("ex1").valid());
}

TEST(BccTables, SockmapAndSockhashTakeSocketFds) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init("BPF_SOCKMAP(sm, 4);\nBPF_SOCKHASH(sh, u32, 4);");
    ASSERT_TRUE(s.ok()) << s.msg();
    // A bound UDP socket: this kernel (6.x) refuses unhashed ones with EOPNOTSUPP.
    int sock = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(sock, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0);
    auto sm = bpf.get_sockmap_table("sm");
    auto sh = bpf.get_sockhash_table("sh");
    ASSERT_TRUE(sm.valid()) << sm.status().msg();
    EXPECT_EQ(sm.remove_value(0).code(), EINVAL); // an empty sockmap slot
    EXPECT_FALSE(sh.remove_value(0).ok());
    Status put = sm.update_value(1, sock);
    EXPECT_TRUE(put.ok()) << put.msg();
    EXPECT_TRUE(sh.update_value(7, sock).ok());
    EXPECT_TRUE(sm.remove_value(1).ok());
    EXPECT_FALSE(sm.update_value(9, sock).ok()); // out of range
    EXPECT_FALSE(bpf.get_sockhash_table("sm").valid());
    ::close(sock);
}

TEST(BccTables, CgroupStorageExistsOnlyWhileAttached) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    InitOptions opts;
    opts.program_types["f"] = BPF_PROG_TYPE_CGROUP_SKB;
    Status s = bpf.init(R"(
BPF_CGROUP_STORAGE(cg, u64);
BPF_PERCPU_CGROUP_STORAGE(pcg, u64);
int f(struct __sk_buff *skb) {
    u64 *a = cg.get_local_storage(0), *b = pcg.get_local_storage(0);
    if (a && b) { (*a)++; (*b)++; }
    return 1;
})",
                        {}, opts);
    ASSERT_TRUE(s.ok()) << s.msg();
    auto cg = bpf.get_cg_storage_table<uint64_t>("cg");
    auto pcg = bpf.get_percpu_cg_storage_table<uint64_t>("pcg");
    ASSERT_TRUE(cg.valid()) << cg.status().msg();
    ASSERT_TRUE(pcg.valid()) << pcg.status().msg();
    bpf_cgroup_storage_key key{};
    uint64_t v = 0;
    std::vector<uint64_t> per(BPFTable::get_possible_cpu_count());
    EXPECT_EQ(cg.get_value(key, v).code(), ENOENT);
    EXPECT_FALSE(cg.update_value(key, v).ok());
    EXPECT_EQ(pcg.get_value(key, per).code(), ENOENT);
    EXPECT_FALSE(pcg.update_value(key, std::vector<uint64_t>(per.size() + 1)).ok());
    EXPECT_FALSE(bpf.get_cg_storage_table<uint64_t>("pcg").valid());
    // Attached (allowing everything) to the cgroup v2 root, a packet sent from here counts.
    std::string root = jitprobe::testing::cgroup2Mount();
    struct stat st {};
    if (root.empty())
        GTEST_SKIP() << "no cgroup v2 mounted";
    ASSERT_EQ(::stat(root.c_str(), &st), 0);
    s = bpf.attach_cgroup(root, "f", BPF_CGROUP_INET_EGRESS);
    ASSERT_TRUE(s.ok()) << s.msg();
    int sock = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(sock, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(9); // discard: nothing needs to listen
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::sendto(sock, "x", 1, 0, reinterpret_cast<sockaddr *>(&to), sizeof(to)), 1);
    ::close(sock);
    key.cgroup_inode_id = st.st_ino;
    key.attach_type = BPF_CGROUP_INET_EGRESS;
    ASSERT_TRUE(cg.get_value(key, v).ok());
    EXPECT_GE(v, 1u);
    ASSERT_TRUE(pcg.get_value(key, per).ok());
    uint64_t sum = 0;
    for (uint64_t n : per)
        sum += n;
    EXPECT_EQ(sum, v); // the same packets, counted per CPU
    ASSERT_TRUE(cg.update_value(key, 100).ok());
    ASSERT_TRUE(cg.get_value(key, v).ok());
    EXPECT_GE(v, 100u);
    ASSERT_TRUE(bpf.detach_cgroup(root, BPF_CGROUP_INET_EGRESS).ok());
}

TEST(BccTables, TaskStorageKeyedByPidfd) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init("BPF_TASK_STORAGE(per_task, u64);\nBPF_HASH(h, int, u64);");
    ASSERT_TRUE(s.ok()) << s.msg();
    int self = int(::syscall(SYS_pidfd_open, ::getpid(), 0));
    ASSERT_GE(self, 0) << errno;
    auto t = bpf.get_task_storage_table<uint64_t>("per_task");
    ASSERT_TRUE(t.valid()) << t.status().msg();
    uint64_t v = 0;
    EXPECT_EQ(t.get_value(self, v).code(), ENOENT);
    ASSERT_TRUE(t.update_value(self, 77).ok());
    ASSERT_TRUE(t.get_value(self, v).ok());
    EXPECT_EQ(v, 77u);
    ASSERT_TRUE(t.remove_value(self).ok());
    EXPECT_FALSE(t.get_value(self, v).ok());
    ::close(self);
    EXPECT_FALSE(bpf.get_task_storage_table<uint64_t>("h").valid());
    EXPECT_FALSE(bpf.get_inode_storage_table<uint64_t>("per_task").valid());
}

TEST(BccTables, BuildIdStackSymbolizesThroughAddedModules) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init(R"(
BPF_HASH(id, int, int, 1);
BPF_STACK_TRACE_BUILDID(stacks, 8);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID) return 0;
    int zero = 0, sid = stacks.get_stackid(args, BPF_F_USER_STACK);
    id.update(&zero, &sid);
    return 0;
})",
                        {"-DTARGET_PID=" + std::to_string(::getpid())});
    ASSERT_TRUE(s.ok()) << s.msg();
    ASSERT_TRUE(bpf.attach_all().ok());
    (void)::getppid();
    ASSERT_TRUE(bpf.detach_all().ok());
    EXPECT_FALSE(bpf.add_module("/nonexistent/libx.so"));
    ASSERT_TRUE(bpf.add_module(kLibc));
    auto stacks = bpf.get_stackbuildid_table("stacks");
    ASSERT_TRUE(stacks.valid()) << stacks.status().msg();
    int sid = bpf.get_hash_table<int, int>("id")[0];
    ASSERT_GE(sid, 0);
    auto frames = stacks.get_stack_addr(sid);
    auto names = stacks.get_stack_symbol(sid);
    ASSERT_FALSE(frames.empty());
    ASSERT_EQ(frames.size(), names.size());
    // The innermost frame is libc's getppid wrapper, found by libc's build id.
    EXPECT_TRUE(contains(names[0], "getppid")) << names[0];
    EXPECT_FALSE(bpf.get_stackbuildid_table("id").valid());
}

// BCC loads a function when load_func/attach_* asks, as the type asked for: one the verifier
// rejects as the type guessed at init (a kprobe may not call bpf_perf_prog_read_value) waits.
TEST(BccLazyLoad, RejectedFunctionLoadsAsTheTypeAskedFor) {
    JP_REQUIRE_BPF_PRIVILEGES();
    const std::string source = R"(
BPF_ARRAY(hits, struct bpf_perf_event_value, 1);
int f(void *ctx) {
    int k = 0;
    struct bpf_perf_event_value *v = hits.lookup(&k);
    if (v) bpf_perf_prog_read_value(ctx, v, sizeof(*v));
    return 0;
})";
    BPF bpf;
    Status s = bpf.init(source);
    ASSERT_TRUE(s.ok()) << s.msg();
    int fd = -1;
    Status as_is = bpf.load_func("f", -1, fd);
    EXPECT_FALSE(as_is.ok()); // its own (guessed) type: the verifier's rejection
    EXPECT_TRUE(contains(as_is.msg(), "verifier rejected")) << as_is.msg();
    ASSERT_TRUE(bpf.load_func("f", BPF_PROG_TYPE_PERF_EVENT, fd).ok());
    ASSERT_GE(fd, 0);
    int again = -1;
    ASSERT_TRUE(bpf.load_func("f", BPF_PROG_TYPE_PERF_EVENT, again).ok());
    EXPECT_EQ(again, fd); // loaded once per type
    // It uses this object's map, not a copy.
    uint32_t map_ids[4] = {};
    bpf_prog_info info{};
    info.nr_map_ids = 4;
    info.map_ids = reinterpret_cast<uint64_t>(map_ids);
    uint32_t len = sizeof(info);
    ASSERT_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
    bpf_map_info map{};
    uint32_t map_len = sizeof(map);
    ASSERT_EQ(bpf_obj_get_info_by_fd(bpf.get_map_fd("hits"), &map, &map_len), 0);
    EXPECT_NE(std::find(map_ids, map_ids + std::min(info.nr_map_ids, 4u), map.id),
              map_ids + std::min(info.nr_map_ids, 4u));
    // The CLI's strict form: every rejection fails the load.
    BPF strict;
    InitOptions opts;
    opts.defer_rejected_functions = false;
    EXPECT_FALSE(strict.init(source, {}, opts).ok());
}

TEST(BccLazyLoad, AttachPerfEventLoadsAFunctionAsPerfEvent) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init(R"(
BPF_ARRAY(samples, u64, 1);
int on_sample(void *ctx) {
    int k = 0;
    u64 *v = samples.lookup(&k);
    if (v) __sync_fetch_and_add(v, 1);
    return 0;
})");
    ASSERT_TRUE(s.ok()) << s.msg();
    s = bpf.attach_perf_event(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, "on_sample", 0, 1000,
                              ::getpid(), -1);
    ASSERT_TRUE(s.ok()) << s.msg();
    auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    volatile uint64_t spin = 0;
    while (std::chrono::steady_clock::now() < end)
        spin = spin + 1;
    ASSERT_TRUE(bpf.detach_perf_event(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK).ok());
    EXPECT_GT(bpf.get_array_table<uint64_t>("samples")[0], 0u);
}
