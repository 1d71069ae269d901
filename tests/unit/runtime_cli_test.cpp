// The jitprobe binary's argument handling and early errors (no compiler or privileges needed).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {
const std::string kBinary = JITPROBE_BINARY_DIR "/runtime/cli/jitprobe";

struct Outcome {
    int exit_code = -1;
    std::string output; // stdout + stderr
};

Outcome runCli(const std::string &args) {
    Outcome o;
    std::string cmd = kBinary + " " + args + " 2>&1";
    FILE *p = popen(cmd.c_str(), "r");
    if (!p)
        return o;
    std::array<char, 4096> buf;
    std::size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
        o.output.append(buf.data(), n);
    int status = pclose(p);
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return o;
}

std::string tempFile(const std::string &name, const std::string &contents) {
    std::string path = ::testing::TempDir() + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
}

class RuntimeCli : public ::testing::Test {
  protected:
    void SetUp() override {
        if (access(kBinary.c_str(), X_OK) != 0)
            GTEST_SKIP() << kBinary << " not built";
    }
};
} // namespace

TEST_F(RuntimeCli, VersionAndHelp) {
    EXPECT_EQ(runCli("--version").exit_code, 0);
    Outcome help = runCli("--help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.output.find("examples:"), std::string::npos);
    EXPECT_NE(help.output.find("jitprobe run"), std::string::npos);
}

TEST_F(RuntimeCli, UnknownCommandIsUsageError) {
    Outcome o = runCli("frobnicate");
    EXPECT_EQ(o.exit_code, 2);
    EXPECT_NE(o.output.find("unknown command"), std::string::npos);
}

TEST_F(RuntimeCli, EmptyFileIsRejected) {
    std::string path = tempFile("jp_empty.c", "");
    Outcome o = runCli("check " + path);
    EXPECT_EQ(o.exit_code, 1);
    EXPECT_NE(o.output.find(path + ": empty source (no probes)"), std::string::npos) << o.output;
}

TEST_F(RuntimeCli, BinaryFileIsRejected) {
    std::string path = tempFile("jp_binary.c", std::string("\x7f" "ELF\0\0\x01\x02garbage", 14));
    Outcome o = runCli("run " + path + " --format json");
    EXPECT_EQ(o.exit_code, 1);
    EXPECT_NE(o.output.find(path + ": not a text source file"), std::string::npos) << o.output;
}

TEST_F(RuntimeCli, MissingFileAndBadFormat) {
    EXPECT_NE(runCli("check /nonexistent/jp.c").exit_code, 0);
    std::string path = tempFile("jp_ok.c", "int x;\n");
    EXPECT_EQ(runCli("run " + path + " --format yaml").exit_code, 2);
    EXPECT_EQ(runCli("dump " + path).exit_code, 2); // needs one of --rewritten/--ir/--asm
}

// A `// @metric` directive that names no map is reported by check (and run) at its line and
// column before anything is loaded, as the frontend reports @internal (issue 15).
TEST_F(RuntimeCli, CheckReportsABadMetricDirectiveAtItsLine) {
    std::string probe = tempFile("check_bad_metric.c", "BPF_HASH(counts, u32, u64);\n"
                                                       "// @metric count gauge\n"
                                                       "TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {\n"
                                                       "    counts.increment(1);\n    return 0;\n}\n");
    for (const char *command : {"check", "run --duration 0.1"}) {
        Outcome o = runCli(std::string(command) + " --no-cache " + probe);
        EXPECT_EQ(o.exit_code, 1) << command << "\n" << o.output;
        EXPECT_NE(o.output.find(probe + ":2:12: error: bad @metric directive: no map named 'count' in this source"),
                  std::string::npos) << command << "\n" << o.output;
        EXPECT_NE(o.output.find("hint: did you mean 'counts'?"), std::string::npos) << o.output;
    }
    // --format json: the error record keeps the place, as a compile diagnostic's does.
    Outcome json = runCli("check --no-cache --format json " + probe);
    EXPECT_EQ(json.exit_code, 1) << json.output;
    EXPECT_NE(json.output.find("{\"type\":\"error\",\"file\":\"" + probe + "\",\"line\":2,\"column\":12,"
                               "\"message\":\"bad @metric directive: no map named 'count' in this source\","
                               "\"hint\":\"did you mean 'counts'?\"}"),
              std::string::npos) << json.output;
}
