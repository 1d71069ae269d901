// What a new user meets first: inline and piped probes (-e, -), errors in the JSON stream,
// `list` that says when nothing matches, tracepoint fields (-v), and scratch maps kept out of
// the results.
#include "LiveSupport.h"
#include "ProcessRunner.h"
#include "jitprobe/Kernel.h"

#include <gtest/gtest.h>

#include <fstream>

using jitprobe::testing::cliPath;
using jitprobe::testing::ProcessResult;
using jitprobe::testing::runProcess;

namespace {

const char *kCount = "BPF_HASH(calls, u32, u64);\n"
                     "TRACEPOINT_PROBE(syscalls, sys_enter_getppid) { u32 k = 7; calls.increment(k); return 0; }\n";

// Runs `sh -c SCRIPT` with $J set to the CLI: for pipes into the CLI's standard input.
ProcessResult shell(const std::string &script) {
    return runProcess({"/bin/sh", "-c", "J='" + cliPath() + "'; " + script});
}

std::string writeTemp(const std::string &name, const std::string &text) {
    std::string path = ::testing::TempDir() + name;
    std::ofstream(path) << text;
    return path;
}

} // namespace

TEST(CliPrototyping, InlineProbeRunsAndCounts) {
    JP_REQUIRE_BPF_PRIVILEGES();
    ProcessResult r = runProcess({cliPath(), "run", "-e", kCount, "--format", "json", "-c",
                                  "/usr/bin/python3 -c 'import os\nfor _ in range(5): os.getppid()'"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // At least the five calls of the command (python itself may call getppid too).
    EXPECT_NE(r.output.find(R"("type":"map","name":"calls")"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(R"({"key":7,"value":)"), std::string::npos) << r.output;
}

TEST(CliPrototyping, StandardInputErrorsAreLocatedInIt) {
    JP_REQUIRE_BPF_PRIVILEGES();
    ProcessResult r = shell("printf 'BPF_HASH(c, u32, u64);\\nTRACEPOINT_PROBE(sched, sched_switch) "
                            "{ return nosuch; }\\n' | \"$J\" check -");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("<stdin>:2:48: error: use of undeclared identifier 'nosuch'"), std::string::npos)
        << r.output;
    ProcessResult inline_error = runProcess({cliPath(), "check", "-e", "TRACEPOINT_PROBE(sched, sched_switch) { return x; }"});
    EXPECT_NE(inline_error.output.find("<inline>:1:48: error"), std::string::npos) << inline_error.output;
    ProcessResult both = runProcess({cliPath(), "check", "-e", kCount, "/etc/hostname"});
    EXPECT_EQ(both.exit_code, 2);
    EXPECT_NE(both.output.find("give FILE.c or -e SOURCE, not both"), std::string::npos) << both.output;
}

TEST(CliPrototyping, CheckJsonCarriesErrorsAsRecords) {
    JP_REQUIRE_BPF_PRIVILEGES();
    std::string bad = writeTemp("jp_bad_json.c", "TRACEPOINT_PROBE(sched, sched_switch) {\n  return nosuch;\n}\n");
    ProcessResult r = shell("\"$J\" check --format json '" + bad + "' 2>/dev/null");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.output.find(R"({"type":"error","file":")" + bad + R"(","line":2,"column":10,"message":"use of undeclared identifier 'nosuch'"})"),
              std::string::npos)
        << r.output;
    ProcessResult missing = shell("\"$J\" check --format json /nonexistent/probe.c 2>/dev/null");
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.output.find(R"({"type":"error","file":"/nonexistent/probe.c","line":0,"column":0,)"),
              std::string::npos)
        << missing.output;
    EXPECT_NE(missing.output.find("ENOENT"), std::string::npos) << missing.output;
}

TEST(CliPrototyping, ListSaysWhenNothingMatchesAndShowsFields) {
    JP_REQUIRE_BPF_PRIVILEGES();
    ProcessResult none = runProcess({cliPath(), "list", "tracepoints", "nosuch:*"});
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_NE(none.output.find("no tracepoints match 'nosuch:*'"), std::string::npos) << none.output;
    ProcessResult fields = runProcess({cliPath(), "list", "-v", "tracepoints", "syscalls:sys_enter_openat"});
    ASSERT_EQ(fields.exit_code, 0) << fields.output;
    EXPECT_EQ(fields.output.rfind("syscalls:sys_enter_openat\n", 0), 0u) << fields.output;
    EXPECT_NE(fields.output.find("\n    const char *filename\n"), std::string::npos) << fields.output;
    EXPECT_EQ(fields.output.find("common_pid"), std::string::npos) << fields.output;
    auto api = jitprobe::tracepoint_fields("syscalls:sys_enter_openat");
    ASSERT_TRUE(api.ok()) << api.status().msg();
    EXPECT_EQ(api->front().name, "common_type");
    EXPECT_FALSE(jitprobe::tracepoint_fields("syscalls:sys_enter_opnat").ok());
}

TEST(CliPrototyping, FunctionListSaysWhenKprobesAreMissing) {
    JP_REQUIRE_BPF_PRIVILEGES();
    ProcessResult r = runProcess({cliPath(), "list", "functions", "vfs_read"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    bool noted = r.output.find("cannot be attached with kprobe") != std::string::npos;
    EXPECT_EQ(noted, !jitprobe::kprobes_supported()) << r.output;
}

// BCC's `start` pattern: entry stores a timestamp, exit reads and deletes it. The map is working
// state: not printed, not cleared by --clear (that would lose calls in flight); `// @results`
// prints it anyway, `// @internal` hides any map, and a misspelt name is an error at the comment.
TEST(CliPrototyping, ScratchMapsAreNotResults) {
    JP_REQUIRE_BPF_PRIVILEGES();
    std::string body = "BPF_HASH(start, u32, u64);\nBPF_HASH(count, u32, u64);\n"
                       "TRACEPOINT_PROBE(syscalls, sys_enter_getppid) { u32 t = bpf_get_current_pid_tgid();"
                       " u64 ts = 1; start.update(&t, &ts); return 0; }\n"
                       "TRACEPOINT_PROBE(syscalls, sys_exit_getppid) { u32 t = bpf_get_current_pid_tgid();"
                       " u32 k = 1; if (start.lookup(&t)) { count.increment(k); start.delete(&t); } return 0; }\n";
    const std::string command = "/usr/bin/python3 -c 'import os; os.getppid()'";
    ProcessResult plain = runProcess({cliPath(), "run", "-e", body, "--format", "json", "-c", command});
    ASSERT_EQ(plain.exit_code, 0) << plain.output;
    EXPECT_NE(plain.output.find(R"("name":"count")"), std::string::npos) << plain.output;
    EXPECT_EQ(plain.output.find(R"("name":"start")"), std::string::npos) << plain.output;
    ProcessResult shown = runProcess({cliPath(), "run", "-e", "// @results start\n" + body, "--format", "json", "-c", command});
    EXPECT_NE(shown.output.find(R"("name":"start")"), std::string::npos) << shown.output;
    ProcessResult hidden = runProcess({cliPath(), "run", "-e", "// @internal count\n" + body, "--format", "json", "-c", command});
    EXPECT_EQ(hidden.output.find(R"("name":"count")"), std::string::npos) << hidden.output;
    ProcessResult typo = runProcess({cliPath(), "check", "-e", "// @internal strat\n" + body});
    EXPECT_EQ(typo.exit_code, 1);
    EXPECT_NE(typo.output.find("<inline>:1:4: error: no map named 'strat' in this source"), std::string::npos)
        << typo.output;
    EXPECT_NE(typo.output.find("did you mean 'start'?"), std::string::npos) << typo.output;
}
