// The BCC-compatible C++ API, called the way BCC's C++ programs call ebpf::BPF: the BCC
// constructor, init with USDT probes, operator[], extern tables from a TableStorage,
// get_stack_symbol, cgroup arrays, sk storage, load_func with flags, BCC's C helpers.
// Probes are BCC-dialect C compiled by jitprobe-compiler.
#include "LiveSupport.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

using namespace jitprobe;
using namespace jitprobe::testing;

// A uprobe target inside this test binary (its frames must symbolize to this name).
extern "C" __attribute__((noinline, used)) int jp_bcc_api_marker(int x) {
    __asm__ volatile("" ::: "memory");
    return x + 1;
}

namespace {

const std::string kLibstdcxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";

std::vector<std::string> pidFlag() { return {"-DTARGET_PID=" + std::to_string(::getpid())}; }

// Runs CHECK (returning 0 when all is well, printing why not) in a child process: the stack
// symbolizer maps LLVM into the process that uses it, and later tests in this binary assert
// that a cache hit never does.
template <typename F> int inChildProcess(F check) {
    pid_t child = ::fork();
    if (child == 0)
        ::_exit(check());
    int status = 0;
    if (child < 0 || ::waitpid(child, &status, 0) != child)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void callGetppid(int times) {
    for (int i = 0; i < times; i++)
        (void)::getppid();
}

const char *kCounts = R"(
BPF_HASH(counts, u32, u64);
BPF_ARRAY(slots, u64, 4);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (pid != TARGET_PID) return 0;
    counts.increment(pid);
    slots.increment(2);
    return 0;
}
)";

} // namespace

TEST(BccCppApi, StatusTupleAsBccBuildsIt) {
    StatusTuple ok(0), failed(-1, "Error updating value: %s", "ENOENT"), plain(-1, "50%");
    EXPECT_TRUE(ok.ok());
    EXPECT_TRUE(StatusTuple::OK().ok());
    EXPECT_EQ(failed.code(), -1);
    EXPECT_EQ(failed.msg(), "Error updating value: ENOENT");
    EXPECT_EQ(plain.msg(), "50%"); // a message without arguments is not a format
    failed.append_msg(" (more)");
    EXPECT_EQ(failed.msg(), "Error updating value: ENOENT (more)");
    static_assert(BPF_PROG_TYPE_TRACING > 0 && BPF_MAP_TYPE_ARRAY == 2);
    static_assert(BPF::BPF_MAX_STACK_DEPTH == 127 && DEFAULT_PERF_BUFFER_PAGE_CNT == 8);
}

TEST(BccCppApi, ConstructorInitAndOperatorIndex) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf(0, nullptr, true, "", true);
    Status s = bpf.init(kCounts, pidFlag(), {});
    ASSERT_TRUE(s.ok()) << s.msg();
    ASSERT_TRUE(bpf.attach_tracepoint("syscalls:sys_enter_getppid",
                                      "tracepoint__syscalls__sys_enter_getppid").ok());
    callGetppid(5);
    ASSERT_TRUE(bpf.detach_tracepoint("syscalls:sys_enter_getppid").ok());
    auto counts = bpf.get_hash_table<uint32_t, uint64_t>("counts");
    EXPECT_EQ(counts[uint32_t(::getpid())], 5u);
    EXPECT_EQ(counts[0xfffffffeu], 0u); // absent: value-initialized, as BCC's reads nothing
    auto offline = counts.get_table_offline();
    ASSERT_EQ(offline.size(), 1u);
    EXPECT_EQ(offline[0].second, 5u);
    auto slots = bpf.get_array_table<uint64_t>("slots");
    EXPECT_EQ(slots[2], 5u);
    EXPECT_EQ(slots[0], 0u);
    EXPECT_EQ(slots.capacity(), 4u);
    EXPECT_GE(slots.get_fd(), 0);
    EXPECT_EQ(bpf.free_bcc_memory(), 0);
}

// BCC's BPF(text=...) takes a source of maps alone (tables filled from user space or shared);
// so does init: the maps exist and hold what is written to them.
TEST(BccCppApi, InitOfMapsAloneCreatesThem) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init("BPF_HASH(settings, u32, u64, 16);\nBPF_ARRAY(slots, u32, 2);\n");
    ASSERT_TRUE(s.ok()) << s.msg();
    EXPECT_TRUE(bpf.programs().empty());
    auto settings = bpf.get_hash_table<uint32_t, uint64_t>("settings");
    ASSERT_TRUE(settings.update_value(7u, 42u).ok());
    uint64_t value = 0;
    ASSERT_TRUE(settings.get_value(7u, value).ok());
    EXPECT_EQ(value, 42u);
    EXPECT_EQ(bpf.get_array_table<uint32_t>("slots").capacity(), 2u);
}

TEST(BccCppApi, LoadFuncChecksFlagsAgainstTheLoadedProgram) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    ASSERT_TRUE(bpf.init(kCounts, pidFlag()).ok());
    int fd = -1;
    const std::string fn = "tracepoint__syscalls__sys_enter_getppid";
    EXPECT_TRUE(bpf.load_func(fn, BPF_PROG_TYPE_TRACEPOINT, fd, 0).ok());
    EXPECT_GE(fd, 0);
    Status s = bpf.load_func(fn, BPF_PROG_TYPE_TRACEPOINT, fd, BPF_F_SLEEPABLE);
    EXPECT_EQ(s.code(), EINVAL) << s.msg();
    EXPECT_FALSE(bpf.load_func(fn, BPF_PROG_TYPE_KPROBE, fd, 0).ok());
}

TEST(BccCppApi, UsdtClassThroughInit) {
    JP_REQUIRE_BPF_PRIVILEGES();
    if (::access(kLibstdcxx.c_str(), R_OK) != 0)
        GTEST_SKIP() << "no " << kLibstdcxx;
    USDT u(kLibstdcxx, ::getpid(), "libstdcxx", "throw", "on_throw");
    std::ostringstream printed;
    printed << u;
    EXPECT_EQ(printed.str(), "libstdcxx:throw from binary " + kLibstdcxx + " PID " +
                                 std::to_string(::getpid()) + " for probe on_throw");
    BPF bpf;
    Status s = bpf.init(R"(
BPF_ARRAY(throws, u64, 2);
int on_throw(struct pt_regs *ctx) {
    u64 obj = 0;
    bpf_usdt_readarg(1, ctx, &obj);
    throws.increment(obj != 0 ? 0 : 1);
    return 0;
})", {}, {u});
    ASSERT_TRUE(s.ok()) << s.msg();
    ASSERT_TRUE((s = bpf.attach_usdt_all()).ok()) << s.msg();
    for (int i = 0; i < 3; i++) {
        try {
            throw std::runtime_error("counted");
        } catch (const std::exception &) {
        }
    }
    ASSERT_TRUE((s = bpf.detach_usdt_all()).ok()) << s.msg();
    try {
        throw std::runtime_error("not counted: detached");
    } catch (const std::exception &) {
    }
    auto throws = bpf.get_array_table<uint64_t>("throws");
    EXPECT_EQ(throws[0], 3u); // readarg(1): the exception object, never null
    EXPECT_EQ(throws[1], 0u);
}

TEST(BccCppApi, ExternTableFromTableStorage) {
    JP_REQUIRE_BPF_PRIVILEGES();
    int fd = bcc_create_map(BPF_MAP_TYPE_ARRAY, "control", sizeof(uint32_t), sizeof(uint64_t),
                            1, 0);
    ASSERT_GE(fd, 0) << "bcc_create_map: " << fd;
    auto storage = createSharedTableStorage();
    storage->Insert(Path({"control"}), TableDesc("control", FileDesc(fd), BPF_MAP_TYPE_ARRAY,
                                                 sizeof(uint32_t), sizeof(uint64_t), 1, 0));
    BPF bpf(0, &*storage);
    Status s = bpf.init(R"(
BPF_TABLE("extern", u32, u64, control, 1);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID) return 0;
    u32 zero = 0;
    u64 *v = control.lookup(&zero);
    if (v) __sync_fetch_and_add(v, 1);
    return 0;
})", pidFlag());
    ASSERT_TRUE(s.ok()) << s.msg();
    ASSERT_TRUE(bpf.attach_all().ok());
    callGetppid(4);
    ASSERT_TRUE(bpf.detach_all().ok());
    // The program wrote the outside map: through the object, an fd table and BCC's C helper.
    EXPECT_EQ(bpf.get_array_table<uint64_t>("control")[0], 4u);
    auto outside = BPFArrayTable<uint64_t>(BPFTableRaw::from_fd(fd));
    ASSERT_TRUE(outside.valid()) << outside.status().msg();
    EXPECT_EQ(outside[0], 4u);
    uint32_t key = 0;
    uint64_t value = 0;
    ASSERT_EQ(bpf_lookup_elem(fd, &key, &value), 0);
    EXPECT_EQ(value, 4u);

    BPF without; // an extern table nobody supplied is an init error, as in BCC
    s = without.init("BPF_TABLE(\"extern\", u32, u64, control, 1);\n"
                     "TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {\n"
                     "    return control.lookup(&(u32){0}) != 0;\n}");
    EXPECT_EQ(s.code(), ENOENT) << s.msg();
    EXPECT_NE(s.msg().find("extern"), std::string::npos) << s.msg();
}

// BCC's exported maps: a BPF_TABLE_PUBLIC table of one BPF object is a later object's
// BPF_TABLE("extern") with no TableStorage handed over, and outlives the object that used it;
// a BPF_TABLE_SHARED one only in the same maps namespace (BCC's test_shared_table.py, in C++).
TEST(BccCppApi, PublicAndSharedTablesAcrossBpfObjects) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF owner(0, nullptr, true, "jp_ns1");
    Status s = owner.init("BPF_TABLE_PUBLIC(\"array\", int, u64, jp_pub, 4);\n"
                          "BPF_TABLE_SHARED(\"hash\", int, u64, jp_shared, 4);\n");
    ASSERT_TRUE(s.ok()) << s.msg();
    {
        BPF user;
        s = user.init(R"(
BPF_TABLE("extern", int, u64, jp_pub, 4);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID) return 0;
    jp_pub.increment(2);
    return 0;
})", pidFlag());
        ASSERT_TRUE(s.ok()) << s.msg();
        ASSERT_TRUE(user.get_array_table<uint64_t>("jp_pub").update_value(1, 10).ok());
        ASSERT_TRUE(user.attach_all().ok());
        callGetppid(3);
    } // `user` and its program are gone; the table is not
    auto pub = owner.get_array_table<uint64_t>("jp_pub");
    EXPECT_EQ(pub[1], 10u);
    EXPECT_EQ(pub[2], 3u);

    BPF same_ns(0, nullptr, true, "jp_ns1");
    s = same_ns.init("BPF_TABLE(\"extern\", int, u64, jp_shared, 4);\n");
    ASSERT_TRUE(s.ok()) << s.msg();
    auto written = same_ns.get_hash_table<int, uint64_t>("jp_shared");
    ASSERT_TRUE(written.update_value(7, 70).ok());
    uint64_t seen = 0;
    auto read = owner.get_hash_table<int, uint64_t>("jp_shared");
    ASSERT_TRUE(read.get_value(7, seen).ok());
    EXPECT_EQ(seen, 70u);
    BPF other_ns(0, nullptr, true, "jp_ns2");
    s = other_ns.init("BPF_TABLE(\"extern\", int, u64, jp_shared, 4);\n");
    EXPECT_EQ(s.code(), ENOENT) << s.msg();
    EXPECT_NE(s.msg().find("map 'jp_shared' is BPF_TABLE(\"extern\")"), std::string::npos) << s.msg();
}

TEST(BccCppApi, StackSymbolsOfUserAndKernelStacks) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init(R"(
BPF_STACK_TRACE(stack_traces, 16384); // roomy: two stacks in one bucket would be -EEXIST
BPF_ARRAY(ids, int, 2);
int on_marker(struct pt_regs *ctx) {
    int user = stack_traces.get_stackid(ctx, BPF_F_USER_STACK);
    ids.update(&(int){0}, &user);
    return 0;
}
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID) return 0;
    int kernel = stack_traces.get_stackid(args, 0);
    ids.update(&(int){1}, &kernel);
    return 0;
})", pidFlag());
    ASSERT_TRUE(s.ok()) << s.msg();
    s = bpf.attach_uprobe("/proc/self/exe", "jp_bcc_api_marker", "on_marker", 0, BPF_PROBE_ENTRY,
                          ::getpid());
    ASSERT_TRUE(s.ok()) << s.msg();
    EXPECT_EQ(jp_bcc_api_marker(1), 2);
    auto ids = bpf.get_array_table<int>("ids");
    int user_id = ids[0];
    ASSERT_GE(user_id, 0) << "bpf_get_stackid (user): " << user_id;
    ASSERT_TRUE(ids.update_value(1, -1).ok()); // so a tracepoint that never fired shows
    ASSERT_TRUE(bpf.attach_tracepoint("syscalls:sys_enter_getppid",
                                      "tracepoint__syscalls__sys_enter_getppid").ok());
    callGetppid(1);
    int kernel_id = ids[1];
    ASSERT_GE(kernel_id, 0) << "bpf_get_stackid (kernel): " << kernel_id;
    auto stacks = bpf.get_stack_table("stack_traces");
    pid_t self = ::getpid();
    int failed = inChildProcess([&] {
        auto user = stacks.get_stack_symbol(user_id, self);
        if (user.empty() || user[0] != "jp_bcc_api_marker") { // the name alone, as BCC's
            std::cerr << "user frame 0: " << (user.empty() ? "(none)" : user[0]) << "\n";
            return 1;
        }
        auto kernel = stacks.get_stack_symbol(kernel_id, -1);
        bool named = std::any_of(kernel.begin(), kernel.end(),
                                 [](const std::string &f) { return f != "[UNKNOWN]"; });
        bool offsets = std::any_of(kernel.begin(), kernel.end(), [](const std::string &f) {
            return f.find("+0x") != std::string::npos;
        });
        if (!named || offsets) {
            std::cerr << "kernel frames: " << kernel.size() << ", first " << kernel.at(0) << "\n";
            return 2;
        }
        return stacks.get_stack_symbol(-EFAULT, -1).empty() ? 0 : 3;
    });
    EXPECT_EQ(failed, 0);
}

TEST(BccCppApi, CgroupArrayAndSyscallFnname) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init(R"(
BPF_CGROUP_ARRAY(cgroup, 1);
BPF_ARRAY(hits, u64, 2);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID) return 0;
    hits.increment(cgroup.check_current_task(0) == 1 ? 0 : 1);
    return 0;
})", pidFlag());
    ASSERT_TRUE(s.ok()) << s.msg();
    std::string root = cgroup2Mount();
    if (root.empty())
        GTEST_SKIP() << "no cgroup v2 mount";
    auto cgroup = bpf.get_cgroup_array("cgroup");
    ASSERT_TRUE(cgroup.valid()) << cgroup.status().msg();
    ASSERT_TRUE((s = cgroup.update_value(0, root)).ok()) << s.msg();
    EXPECT_EQ(cgroup.update_value(0, std::string("/nonexistent/cgroup")).code(), ENOENT);
    ASSERT_TRUE(bpf.attach_all().ok());
    callGetppid(3);
    auto hits = bpf.get_array_table<uint64_t>("hits");
    EXPECT_EQ(hits[0], 3u); // every task is under the cgroup v2 root
    EXPECT_EQ(hits[1], 0u);

    std::string clone = bpf.get_syscall_fnname("clone");
    ASSERT_GT(clone.size(), 5u);
    EXPECT_EQ(clone.substr(clone.size() - 6), "_clone");
    std::ifstream kallsyms("/proc/kallsyms");
    std::string line;
    bool found = false;
    while (!found && std::getline(kallsyms, line))
        found = line.size() > clone.size() && line.ends_with(" " + clone);
    EXPECT_TRUE(found) << clone << " is not in /proc/kallsyms";
}

TEST(BccCppApi, SkStorageKeyedBySocketFd) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init(R"(
BPF_SK_STORAGE(sk_data, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) { return 0; })");
    ASSERT_TRUE(s.ok()) << s.msg();
    int a = ::socket(AF_INET, SOCK_DGRAM, 0), b = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(a, 0);
    ASSERT_GE(b, 0);
    auto table = bpf.get_sk_storage_table<unsigned long long>("sk_data");
    ASSERT_TRUE(table.valid()) << table.status().msg();
    EXPECT_TRUE(table.update_value(a, 10).ok());
    EXPECT_TRUE(table.update_value(b, 20).ok());
    unsigned long long v = 0;
    EXPECT_TRUE(table.get_value(a, v).ok());
    EXPECT_EQ(v, 10u);
    EXPECT_TRUE(table.remove_value(b).ok());
    EXPECT_FALSE(table.get_value(b, v).ok());
    EXPECT_FALSE(bpf.get_sk_storage_table<uint32_t>("sk_data").valid()); // wrong value size
    ::close(a);
    ::close(b);
}

namespace {
int g_records = 0;
void countRecord(void *cookie, void *data, int size) {
    g_records += *static_cast<int *>(cookie) + (size >= int(sizeof(uint32_t)) && data ? 0 : 100);
}
} // namespace

TEST(BccCppApi, PerfBufferWithBccCallbacks) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = bpf.init(R"(
BPF_PERF_OUTPUT(events);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (pid != TARGET_PID) return 0;
    events.perf_submit(args, &pid, sizeof(pid));
    return 0;
})", pidFlag());
    ASSERT_TRUE(s.ok()) << s.msg();
    int one = 1;
    g_records = 0;
    ASSERT_TRUE(bpf.open_perf_buffer("events", &countRecord, nullptr, &one).ok());
    ASSERT_TRUE(bpf.attach_all().ok());
    callGetppid(2);
    BPFPerfBuffer *buffer = bpf.get_perf_buffer("events");
    ASSERT_NE(buffer, nullptr);
    for (int i = 0; i < 10 && g_records < 2; i++)
        (void)buffer->poll(100);
    callGetppid(1);
    for (int i = 0; i < 10 && g_records < 3; i++)
        (void)bpf.poll_perf_buffer("events", 100);
    EXPECT_EQ(g_records, 3);
}
