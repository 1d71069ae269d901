// BCC dialect details the BCC tools rely on, through the CLI on this kernel: BPF_LICENSE is the
// program's license, and compound-literal keys, anonymous event structs and memset compile and
// count for real.
#include "DialectSupport.h"
#include "LiveSupport.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace jitprobe::testing::dialect;
namespace fs = std::filesystem;

namespace {

// SOURCE as a .c file of this test process's own; removed by the caller's scope.
struct ProbeFile {
    std::string path;
    explicit ProbeFile(const std::string &name, const std::string &source) {
        path = (fs::temp_directory_path() / ("jp-compat-" + std::to_string(::getpid()) + "-" + name)).string();
        std::ofstream(path) << source;
    }
    ~ProbeFile() { ::unlink(path.c_str()); }
};

// The kernel's bpf_trace_printk (kept by JITPROBE_TRACE_PIPE_PRINTK) is a GPL-only helper.
const char *kPrintk = "#define JITPROBE_TRACE_PIPE_PRINTK\n"
                      "TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { bpf_trace_printk(\"x\\n\"); return 0; }\n";

} // namespace

TEST(DialectCompat, BpfLicenseIsTheProgramsLicense) {
    JP_REQUIRE_BPF_PRIVILEGES();
    ProbeFile closed("closed.c", std::string("#define BPF_LICENSE Proprietary\n") + kPrintk);
    CliRun rejected = runCli({"check", closed.path, "--no-cache"});
    EXPECT_NE(rejected.status, 0) << rejected.out;
    EXPECT_NE(rejected.err.find("GPL"), std::string::npos) << rejected.err; // GPL-only helper
    ProbeFile dual("dual.c", std::string("#define BPF_LICENSE Dual BSD/GPL\n") + kPrintk);
    CliRun accepted = runCli({"check", dual.path, "--no-cache"});
    EXPECT_EQ(accepted.status, 0) << accepted.err;
}

// As in BCC: `#define BPF_LICENSE` with nothing after it is an empty license (not GPL), and a
// license given as a flag is refused, naming it (BCC's tests/python/test_license.py cases).
TEST(DialectCompat, EmptyBpfLicenseIsNotGplAndAFlagIsRefused) {
    JP_REQUIRE_BPF_PRIVILEGES();
    for (const char *define : {"#define BPF_LICENSE\n", "#define BPF_LICENSE \n"}) {
        ProbeFile empty("empty.c", std::string(define) + kPrintk);
        CliRun rejected = runCli({"check", empty.path, "--no-cache"});
        EXPECT_NE(rejected.status, 0) << rejected.out;
        EXPECT_NE(rejected.err.find("GPL"), std::string::npos) << rejected.err;
    }
    ProbeFile plain("plain.c", kPrintk);
    EXPECT_EQ(runCli({"check", plain.path, "--no-cache"}).status, 0); // GPL by default
    for (const char *flag : {"-DBPF_LICENSE=GPL", "-DBPF_LICENSE"}) {
        CliRun flagged = runCli({"check", plain.path, "--no-cache", flag});
        EXPECT_NE(flagged.status, 0) << flagged.out;
        EXPECT_NE(flagged.err.find(plain.path + ": error: BPF_LICENSE cannot be given as a compiler flag ('" +
                                   std::string(flag) + "')"),
                  std::string::npos)
            << flagged.err;
    }
}

TEST(DialectCompat, CompoundLiteralKeyAndAnonymousEventCount) {
    JP_REQUIRE_BPF_PRIVILEGES();
    ProbeFile probe("count.c",
                    "struct key_t { u32 a; u32 b; };\n"
                    "BPF_HASH(opens, struct key_t, u64, 16);\n"
                    "BPF_PERF_OUTPUT(events);\n"
                    "TRACEPOINT_PROBE(syscalls, sys_enter_openat) {\n"
                    "    char comm[16]; bpf_get_current_comm(&comm, sizeof(comm));\n"
                    "    if (comm[0] != 'j' || comm[1] != 'p' || comm[2] != 'd') return 0;\n"
                    "    opens.increment((struct key_t){.a = 1, .b = 2});\n"
                    "    struct { u32 pid; char comm[16]; } ev;\n"
                    "    memset(&ev, 0, sizeof(ev));\n"
                    "    ev.pid = bpf_get_current_pid_tgid() >> 32;\n"
                    "    events.perf_submit(args, &ev, sizeof(ev));\n"
                    "    return 0;\n}\n");
    CliRun run = runCli({"run", probe.path, "--format", "json", "-c", openTrigger()});
    ASSERT_EQ(run.status, 0) << run.err;
    nlohmann::json count = run.value("opens", nlohmann::json{{"a", 1}, {"b", 2}});
    ASSERT_TRUE(count.is_number()) << run.out;
    EXPECT_GE(count.get<long>(), 1) << run.out;
}

// A function only BCC's Python side names: check verifies it as a kprobe and says so; run
// attaches the rest and says it left this one unattached.
TEST(DialectCompat, FunctionWithoutAttachPointIsVerifiedAndLeftUnattached) {
    JP_REQUIRE_BPF_PRIVILEGES();
    ProbeFile probe("loadonly.c", "BPF_HASH(h, u32, u64);\n"
                                  "int trace_count(void *ctx) { u32 k = 0; h.increment(k); return 0; }\n"
                                  "TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { return 0; }\n");
    CliRun check = runCli({"check", probe.path, "--format", "json", "--no-cache"});
    ASSERT_EQ(check.status, 0) << check.err;
    bool kprobe = false;
    for (const auto &r : check.records)
        kprobe = kprobe || (r.value("name", "") == "trace_count" && r.value("prog_type", "") == "kprobe" &&
                            r.value("insns", 0L) > 0);
    EXPECT_TRUE(kprobe) << check.out;
    EXPECT_NE(check.err.find("'trace_count' has no attach point in the source: verified as a kprobe"),
              std::string::npos) << check.err;
    CliRun run = runCli({"run", probe.path, "--format", "json", "--duration", "0.2"});
    ASSERT_EQ(run.status, 0) << run.err;
    EXPECT_NE(run.err.find("'trace_count' has no attach point in the source: loaded but left unattached"),
              std::string::npos) << run.err;
}

// Automatic reads past the first member, for real: array elements through a kernel pointer
// (__jp_kread) and the pointer in front of an array member, counted by the trigger's comm.
TEST(DialectCompat, ArrayElementsThroughKernelPointersAreRead) {
    JP_REQUIRE_BPF_PRIVILEGES();
    ProbeFile probe("reads.c",
                    "BPF_HASH(firsts, u32, u64, 64);\n"
                    "TRACEPOINT_PROBE(syscalls, sys_enter_openat) {\n"
                    "    struct task_struct *t = (struct task_struct *)bpf_get_current_task();\n"
                    "    char c0 = t->comm[0], c1 = t->comm[1];\n"
                    "    char parent[16] = {};\n"
                    "    bpf_probe_read_kernel_str(parent, sizeof(parent), t->real_parent->comm);\n"
                    "    if (c0 != 'j' || c1 != 'p') return 0;\n"
                    "    u32 key = c0 + (parent[0] != 0 ? 1000 : 0);\n"
                    "    firsts.increment(key);\n"
                    "    return 0;\n}\n");
    CliRun run = runCli({"run", probe.path, "--format", "json", "-c", openTrigger()});
    ASSERT_EQ(run.status, 0) << run.err;
    nlohmann::json count = run.value("firsts", 'j' + 1000);
    ASSERT_TRUE(count.is_number()) << run.out;
    EXPECT_GE(count.get<long>(), 1) << run.out;
}

// BCC's BPF(text=...) takes a source of maps alone (its test snippets, tables shared with other
// objects): `check --allow-no-programs` creates them; without the flag, and for `run`, such a
// source is still the "no probes found" error of the CLI's contract.
TEST(DialectCompat, MapsOnlySourceChecksWhenAllowed) {
    JP_REQUIRE_BPF_PRIVILEGES();
    ProbeFile maps("maps.c", "BPF_HASH(counts, u32, u64);\nBPF_ARRAY(slots, u64, 4);\n");
    CliRun allowed = runCli({"check", maps.path, "--allow-no-programs", "--no-cache"});
    EXPECT_EQ(allowed.status, 0) << allowed.err;
    EXPECT_NE(allowed.err.find("declares no program; its 2 map(s) were created"), std::string::npos)
        << allowed.err;
    CliRun plain = runCli({"check", maps.path});
    EXPECT_EQ(plain.status, 1) << plain.out;
    EXPECT_NE(plain.err.find("no probes found"), std::string::npos) << plain.err;
    CliRun run = runCli({"run", maps.path, "--duration", "0.1"});
    EXPECT_EQ(run.status, 1) << run.out;
    EXPECT_NE(run.err.find("no probes found"), std::string::npos) << run.err;
}

// BPF_TABLE("extern") is a map another BPF object shares (C++: a TableStorage): `check` verifies
// the program against a map of the declared shape; `run`, with nothing to share it, says so.
TEST(DialectCompat, ExternTableIsLocalForCheckOnly) {
    JP_REQUIRE_BPF_PRIVILEGES();
    ProbeFile ext("extern.c", "BPF_TABLE(\"extern\", int, int, shared, 10);\n"
                              "TRACEPOINT_PROBE(syscalls, sys_enter_getpid) {\n"
                              "    int k = 1, *v = shared.lookup(&k);\n    return v ? *v : 0;\n}\n");
    CliRun check = runCli({"check", ext.path, "--no-cache"});
    EXPECT_EQ(check.status, 0) << check.err;
    EXPECT_NE(check.out.find("tracepoint__syscalls__sys_enter_getpid: tracepoint"), std::string::npos) << check.out;
    CliRun run = runCli({"run", ext.path, "--duration", "0.1"});
    EXPECT_EQ(run.status, 1) << run.out;
    EXPECT_NE(run.err.find("map 'shared' is BPF_TABLE(\"extern\"): no table 'shared'"), std::string::npos)
        << run.err;
}
