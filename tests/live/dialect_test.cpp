// ISSUE 4: every map kind, map method and probe kind of the dialect (tests/dialect/*.c) through
// the CLI. `check --format json` must verify every program the file defines (insns > 0); files
// this kernel can run are run with a trigger whose comm is "jpdialect" and their maps/events
// are checked for the behaviour each kind promises. Kinds that need user-space setup (tail
// calls, map-in-map, sockets, XDP, perf counters, iterators) are run in dialect_api_test.cpp.
#include "DialectSupport.h"
#include "LiveSupport.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

using namespace jitprobe::testing::dialect;
using nlohmann::json;

namespace {

struct DialectFile {
    const char *file;
    std::vector<std::string> programs; // every program the file defines
};

const std::vector<DialectFile> kVerifiable = {
    {"hash_methods.c", {"tracepoint__syscalls__sys_enter_openat"}},
    {"array_kinds.c", {"tracepoint__syscalls__sys_enter_openat"}},
    {"queue_stack.c", {"tracepoint__syscalls__sys_enter_openat"}},
    {"perf_ring.c", {"tracepoint__syscalls__sys_enter_openat"}},
    {"stack_traces.c", {"tracepoint__syscalls__sys_enter_openat"}},
    {"pinned.c", {"tracepoint__syscalls__sys_enter_openat"}},
    {"perf_array.c", {"tracepoint__syscalls__sys_enter_openat"}},
    {"cgroup_array.c", {"tracepoint__syscalls__sys_enter_openat"}},
    {"map_in_map.c", {"tracepoint__syscalls__sys_enter_openat"}},
    {"task_storage.c",
     {"tracepoint__syscalls__sys_enter_openat", "tracepoint__sched__sched_process_exit"}},
    {"prog_array.c", {"tail_target", "raw_tracepoint__sys_enter"}},
    {"net.c", {"sock_count", "xdp_count", "xdp_redirect"}},
    {"sockmap.c", {"on_sockops", "on_msg", "on_skb"}},
    {"sk_storage.c", {"count_egress"}},
    {"tracepoints.c",
     {"tracepoint__syscalls__sys_enter_openat", "tracepoint__sched__sched_process_exec",
      "raw_tracepoint__sys_enter", "raw_tracepoint__sched_process_exec",
      "tp_btf__sched_process_exec"}},
    {"kprobes.c", {"kprobe__vfs_read", "kretprobe__vfs_read"}},
    {"iter.c", {"bpf_iter__task"}},
    {"usdt.c", {"on_throw"}},
    {"kernel_compat.c", {"tracepoint__irq__irq_handler_entry", "trace_tcp", "trace_six"}},
};

// A pin path of this test process's own (check and run tests may run concurrently).
std::string pinPath(const char *what) {
    return "/sys/fs/bpf/jp_dialect_" + std::string(what) + "_" + std::to_string(::getpid());
}

// bpffs for BPF_TABLE_PINNED (not mounted at boot on this machine).
bool ensureBpffs() {
    struct statfs st {};
    if (::statfs("/sys/fs/bpf", &st) == 0 && st.f_type == 0xcafe4a11 /* BPF_FS_MAGIC */)
        return true;
    return ::mount("bpf", "/sys/fs/bpf", "bpf", 0, nullptr) == 0;
}

std::map<std::string, long> checkedPrograms(const CliRun &run) {
    std::map<std::string, long> insns;
    for (const auto &r : run.records)
        if (r.value("type", "") == "program")
            insns[r.value("name", "")] = r.value("insns", 0L);
    return insns;
}

class DialectCheck : public ::testing::TestWithParam<DialectFile> {};

} // namespace

TEST_P(DialectCheck, EveryProgramVerifies) {
    JP_REQUIRE_BPF_PRIVILEGES();
    const DialectFile &f = GetParam();
    if (std::string(f.file) == "pinned.c") {
        ASSERT_TRUE(ensureBpffs()) << "cannot mount bpffs at /sys/fs/bpf";
    }
    std::string pin = pinPath("check");
    CliRun run = runCli({"check", dialectPath(f.file), "--format", "json", "-D",
                         "PIN_PATH=\"" + pin + "\""});
    ::unlink(pin.c_str()); // check created and pinned the map (pinned.c)
    ASSERT_EQ(run.status, 0) << run.err;
    auto insns = checkedPrograms(run);
    for (const auto &name : f.programs) {
        ASSERT_TRUE(insns.count(name)) << f.file << ": no program object for " << name << "\n"
                                       << run.out;
        EXPECT_GT(insns[name], 0) << name;
    }
}

INSTANTIATE_TEST_SUITE_P(Files, DialectCheck, ::testing::ValuesIn(kVerifiable),
                         [](const auto &info) {
                             std::string n = info.param.file;
                             return n.substr(0, n.find('.'));
                         });

// fentry/fexit/fmod_ret/LSM (and inode storage, an LSM helper): this kernel refuses the load
// with EPERM, so the source must compile (dump) and `check` must fail with exactly that reason.
TEST(DialectKfuncs, CompileAndReachTheVerifierButKernelRefuses) {
    JP_REQUIRE_BPF_PRIVILEGES();
    CliRun dump = runCli({"dump", dialectPath("kfuncs.c"), "--rewritten"});
    ASSERT_EQ(dump.status, 0) << dump.err;
    for (const char *sec : {"SEC(\"fentry/vfs_read\")", "SEC(\"fexit/vfs_read\")",
                            "SEC(\"fmod_ret/security_file_open\")", "SEC(\"lsm/file_open\")",
                            "bpf_inode_storage_get(&inode_opens"})
        EXPECT_NE(dump.out.find(sec), std::string::npos) << sec << "\n" << dump.out;
    CliRun check = runCli({"check", dialectPath("kfuncs.c"), "--format", "json"});
    if (check.status == 0) { // a kernel that allows ftrace hooking: all four must verify
        auto insns = checkedPrograms(check);
        for (const char *p : {"kfunc__vfs_read", "kretfunc__vfs_read",
                              "kmod_ret__security_file_open", "lsm__file_open"})
            EXPECT_GT(insns[p], 0) << p;
        return;
    }
    EXPECT_NE(check.err.find("EPERM"), std::string::npos) << check.err;
}

// ---- live runs through the CLI -------------------------------------------------------------
namespace {
CliRun runWithTrigger(const std::string &file, const std::string &trigger = openTrigger(),
                      const std::vector<std::string> &defines = {}) {
    std::vector<std::string> args{"run", dialectPath(file), "--format", "json", "-c", trigger};
    for (const auto &d : defines)
        args.insert(args.end(), {"-D", d});
    return runCli(args);
}
long num(const json &j) { return j.is_number() ? j.get<long>() : -1; }
} // namespace

TEST(DialectRun, HashMethods) {
    JP_REQUIRE_BPF_PRIVILEGES();
    CliRun r = runWithTrigger("hash_methods.c");
    ASSERT_EQ(r.status, 0) << r.err;
    long n = num(r.value("counts", commKey()));
    ASSERT_GE(n, 3) << r.out; // cat opens ld.so.cache, libc, the file...
    EXPECT_EQ(num(r.value("any1", 1)), n);
    EXPECT_EQ(num(r.value("sums", commKey())), 2 * n);          // increment(k, 2)
    EXPECT_EQ(num(r.value("atomics", commKey())), n);           // atomic_increment
    EXPECT_EQ(num(r.value("shared_init", commKey())), n);       // lookup_or_init
    EXPECT_EQ(num(r.value("public_init", commKey())), n);       // lookup_or_try_init
    EXPECT_EQ(num(r.value("noprealloc", commKey())), 1);        // update, BPF_F_NO_PREALLOC
    EXPECT_EQ(num(r.value("updated", commKey())), n);           // update: last write wins
    EXPECT_EQ(num(r.value("inserted", commKey())), 1);          // insert: first write wins
    EXPECT_EQ(num(r.value("looked_up", commKey())), n);         // lookup
    EXPECT_EQ(r.map("by_pid")["entries"].size(), 1u);          // one process
    EXPECT_EQ(r.map("deleted")["entries"], json::parse(R"([{"key":8,"value":1}])")); // delete
}

TEST(DialectRun, ArrayHistogramLruLpm) {
    JP_REQUIRE_BPF_PRIVILEGES();
    CliRun r = runWithTrigger("array_kinds.c");
    ASSERT_EQ(r.status, 0) << r.err;
    long n = num(r.value("arr1", 0));
    ASSERT_GE(n, 3) << r.out;
    EXPECT_EQ(num(r.value("arr", 1)), n);
    EXPECT_EQ(num(r.value("arr", 2)), 3 * n);               // atomic_increment(2, 3)
    EXPECT_EQ(num(r.value("pcpu_arr", 0)), n);              // per-CPU values summed
    EXPECT_EQ(num(r.value("pcpu_hash", commKey())), n);
    EXPECT_EQ(num(r.value("lru_pcpu", commKey())), n);
    bool hist = false, hist_by_kind = false;
    for (const auto &rec : r.records) {
        if (rec.value("type", "") != "hist")
            continue;
        if (rec["name"] == "hist")
            hist = rec["buckets"] == json::parse(R"([{"low":512,"high":1023,"count":)" +
                                                 std::to_string(n) + "}]");
        if (rec["name"] == "hist_by_kind")
            hist_by_kind = rec["key"] == json{{"kind", 7}} && rec["buckets"][0]["low"] == 4;
    }
    EXPECT_TRUE(hist && hist_by_kind) << r.out;
    // 32 new keys per event into 8 entries: the LRU hash evicts (never fails, stays full),
    // the plain hash refuses once full.
    EXPECT_EQ(r.map("lru")["entries"].size(), 8u);
    EXPECT_EQ(num(r.value("results", 0)), -1) << "LRU updates failed"; // zero slots are omitted
    EXPECT_EQ(num(r.value("results", 1)), 32 * n - 8);
    EXPECT_EQ(num(r.value("results", 2)), 2); // 10.1.2.3 -> longest prefix 10.1/16
    EXPECT_EQ(num(r.value("results", 3)), 1); // 10.9.9.9 -> 10/8
    EXPECT_EQ(r.map("routes")["entries"].size(), 2u);
}

TEST(DialectRun, QueueIsFifoStackIsLifo) {
    JP_REQUIRE_BPF_PRIVILEGES();
    CliRun r = runWithTrigger("queue_stack.c");
    ASSERT_EQ(r.status, 0) << r.err;
    long n = num(r.value("results", 4));
    ASSERT_GE(n, 3) << r.out;
    EXPECT_EQ(num(r.value("results", 0)), 1); // queue pop: first in
    EXPECT_EQ(num(r.value("results", 1)), 2); // queue peek: next
    EXPECT_EQ(num(r.value("results", 2)), 3); // stack pop: last in
    EXPECT_EQ(num(r.value("results", 3)), 2); // stack peek
    EXPECT_EQ(num(r.value("results", 5)), -1) << "pushes failed";
    EXPECT_EQ(num(r.value("results", 6)), 2 * n); // draining: one empty pop each per event
    EXPECT_TRUE(r.map("fifo").is_null() && r.map("lifo").is_null()) << "queues are not results";
}

TEST(DialectRun, PerfAndRingBufferEvents) {
    JP_REQUIRE_BPF_PRIVILEGES();
    CliRun r = runWithTrigger("perf_ring.c");
    ASSERT_EQ(r.status, 0) << r.err;
    std::map<std::pair<std::string, int>, int> seen;
    auto count = [&](const char *map, int how) { return seen[std::make_pair(std::string(map), how)]; };
    for (const auto &rec : r.records)
        if (rec.value("type", "") == "event" && rec["data"]["comm"] == "jpdialect")
            seen[{rec["map"].get<std::string>(), rec["data"]["how"].get<int>()}]++;
    int n = count("perf_events", 1);
    ASSERT_GE(n, 3) << r.out;
    EXPECT_EQ(count("ring_events", 2), n); // ringbuf_output
    EXPECT_EQ(count("ring_events", 3), n); // ringbuf_reserve + ringbuf_submit
    EXPECT_EQ(count("ring_events", 4), 0); // ringbuf_reserve + ringbuf_discard
    EXPECT_EQ(r.out.find("\"type\":\"lost\""), std::string::npos) << r.out;
}

TEST(DialectRun, StackTraces) {
    JP_REQUIRE_BPF_PRIVILEGES();
    CliRun r = runWithTrigger("stack_traces.c");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_GE(num(r.value("results", 0)), 1) << r.out; // get_stackid on BPF_STACK_TRACE
    EXPECT_GE(num(r.value("results", 2)), 1) << r.out; // ... on BPF_STACK_TRACE_BUILDID
    long id = num(r.value("last_stack", commKey()));
    ASSERT_GE(id, 0) << r.out;
    json frames = r.value("stacks", id); // the id names a stored, non-empty user stack
    ASSERT_TRUE(frames.is_array()) << r.out;
    EXPECT_FALSE(frames.empty());
}

TEST(DialectRun, TaskStorageIsPerTask) {
    JP_REQUIRE_BPF_PRIVILEGES();
    CliRun r = runWithTrigger("task_storage.c");
    ASSERT_EQ(r.status, 0) << r.err;
    // The count lived in the task's storage between events: the last copy is the total.
    EXPECT_GE(num(r.value("per_comm", commKey())), 3) << r.out;
    EXPECT_EQ(num(r.value("results", 0)), 1) << r.out; // task_storage_delete at exit
    EXPECT_EQ(num(r.value("results", 1)), 1) << r.out; // ... after which get finds nothing
    EXPECT_TRUE(r.map("task_opens").is_null()) << "storage maps are not listed";
}

TEST(DialectRun, ProbeKinds) {
    JP_REQUIRE_BPF_PRIVILEGES();
    CliRun r = runWithTrigger("tracepoints.c");
    ASSERT_EQ(r.status, 0) << r.err;
    auto kind = [](const char *k) { return json{{"kind", k}}; };
    long opens = num(r.value("seen", kind("tp_macr")));      // TRACEPOINT_PROBE
    ASSERT_GE(opens, 3) << r.out;
    EXPECT_EQ(num(r.value("seen", kind("raw_macr"))), opens); // RAW_TRACEPOINT_PROBE, same calls
    EXPECT_EQ(num(r.value("seen", kind("tp_func"))), 1);      // tracepoint__sched__... (one exec)
    EXPECT_EQ(num(r.value("seen", kind("raw_func"))), 1);     // raw_tracepoint__...
    EXPECT_EQ(num(r.value("seen", kind("tp_btf"))), 1);       // TP_BTF_PROBE, typed args
}

TEST(DialectRun, PinnedMapOutlivesTheRun) {
    JP_REQUIRE_BPF_PRIVILEGES();
    ASSERT_TRUE(ensureBpffs()) << "cannot mount bpffs at /sys/fs/bpf";
    std::string pin = pinPath("run");
    std::vector<std::string> defines{"PIN_PATH=\"" + pin + "\""};
    ::unlink(pin.c_str());
    CliRun first = runWithTrigger("pinned.c", openTrigger(), defines);
    ASSERT_EQ(first.status, 0) << first.err;
    long n = num(first.value("pinned_counts", 1));
    ASSERT_GE(n, 3) << first.out;
    struct stat st {};
    EXPECT_EQ(::stat(pin.c_str(), &st), 0) << "map not pinned at " << pin;
    // The second run reuses the pinned map: counts accumulate.
    CliRun second = runWithTrigger("pinned.c", openTrigger(), defines);
    ::unlink(pin.c_str());
    ASSERT_EQ(second.status, 0) << second.err;
    EXPECT_EQ(num(second.value("pinned_counts", 1)), 2 * n) << second.out;
}

TEST(DialectRun, UsdtReadargReadsTheThrownType) {
    JP_REQUIRE_BPF_PRIVILEGES();
    if (::access("/usr/lib/x86_64-linux-gnu/libstdc++.so.6", R_OK) != 0)
        GTEST_SKIP() << "no libstdc++ at the path usdt.c names";
    // A C++ program (comm "jpdialect_throw") that throws and catches three exceptions.
    std::string dir = triggerDir();
    std::string src = dir + "/thrower.cpp", bin = dir + "/jpdialect_throw";
    {
        std::ofstream out(src);
        out << "#include <stdexcept>\nint main() { int n = 0;\n"
               "  for (int i = 0; i < 3; i++) try { throw std::runtime_error(\"x\"); }\n"
               "  catch (const std::exception &) { n++; }\n  return n == 3 ? 0 : 1; }\n";
    }
    ASSERT_EQ(std::system(("c++ -O0 -o " + bin + " " + src).c_str()), 0) << "no C++ compiler";
    CliRun r = runWithTrigger("usdt.c", bin);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(num(r.value("throws", commKey("jpdialect_throw"))), 3) << r.out;
    // Other processes may throw meanwhile: at least our three, and no readarg failures.
    EXPECT_GE(num(r.value("results", 0)), 3) << r.out; // readarg(2): non-zero type_info*
    EXPECT_GE(num(r.value("results", 2)), 3) << r.out; // readarg(1): non-zero object
    EXPECT_GE(num(r.value("results", 3)), 3) << r.out; // readarg_p(2): the type_info's vtable
    EXPECT_EQ(num(r.value("results", 1)), -1) << r.out;
    for (const auto &rec : r.records) // libbpf's USDT maps are not results
        EXPECT_EQ(rec.value("name", "").rfind("__bpf_usdt", 0), std::string::npos) << rec;
}
