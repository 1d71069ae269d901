// Files that are not what a probe source or header should be (issue 19): devices, FIFOs and
// huge files given as the source or #included. Each must fail fast with an error naming the
// path (and the #include's file:line:col), never hang or read without end.
#include "compiler/CompilerProcess.h"
#include "jitprobe/Script.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace jitprobe;
using namespace jitprobe::detail;

namespace {

struct Compiled {
    Status status;
    std::string diagnostics;
    double seconds = 0;
};

Compiled compile(const std::string &source) {
    frontend::CompileOptions options;
    options.file_name = "p.c";
    frontend::CompileResult result;
    CompileLimits limits;
    limits.timeout = std::chrono::seconds(30); // a hang fails the test instead of stalling it
    auto t0 = std::chrono::steady_clock::now();
    Compiled out;
    out.status = compileInChildProcess(source, options, result, limits);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.diagnostics = frontend::formatDiagnostics(result.diagnostics);
    return out;
}

std::string freshPath(const std::string &name) {
    std::string path = ::testing::TempDir() + name;
    std::filesystem::remove(path);
    return path;
}

struct CliOutcome {
    int exit_code = -1;
    std::string output;
};

CliOutcome runCli(const std::string &args) {
    std::string cli = JITPROBE_BINARY_DIR "/runtime/cli/jitprobe";
    CliOutcome o;
    FILE *p = ::popen(("timeout 20 " + cli + " " + args + " 2>&1").c_str(), "r");
    if (!p)
        return o;
    std::array<char, 4096> buf;
    for (size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;)
        o.output.append(buf.data(), n);
    int status = ::pclose(p);
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return o;
}

} // namespace

TEST(RuntimeUntrustedInput, IncludingADeviceIsRefusedAtTheInclude) {
    Compiled c = compile("#include \"/dev/zero\"\nint x;\n");
    ASSERT_TRUE(c.status.ok()) << c.status.msg();
    EXPECT_NE(
        c.diagnostics.find("p.c:1:10: error: cannot open file '/dev/zero': not a regular file"),
        std::string::npos)
        << c.diagnostics;
    EXPECT_LT(c.seconds, 10.0);
}

TEST(RuntimeUntrustedInput, IncludingAFifoDoesNotWaitForAWriter) {
    std::string fifo = freshPath("jp_include.fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    Compiled c = compile("int y;\n#include \"" + fifo + "\"\n");
    ASSERT_TRUE(c.status.ok()) << c.status.msg();
    EXPECT_NE(
        c.diagnostics.find("p.c:2:10: error: cannot open file '" + fifo + "': not a regular file"),
        std::string::npos)
        << c.diagnostics;
    EXPECT_LT(c.seconds, 10.0);
}

TEST(RuntimeUntrustedInput, AHugeIncludeIsRefusedWithoutReadingIt) {
    std::string big = freshPath("jp_big.h");
    std::ofstream(big).close();
    std::filesystem::resize_file(big, std::uintmax_t(1) << 30); // sparse: costs no disk
    Compiled c = compile("#include \"" + big + "\"\nint x;\n");
    std::filesystem::remove(big);
    ASSERT_TRUE(c.status.ok()) << c.status.msg();
    EXPECT_NE(c.diagnostics.find("p.c:1:10: error: cannot open file '" + big +
                                 "': larger than the 16 MiB cap for included files"),
              std::string::npos)
        << c.diagnostics;
    EXPECT_LT(c.seconds, 3.0) << "1 GiB read before the refusal";
}

TEST(RuntimeUntrustedInput, AnOrdinaryIncludeStillWorks) {
    std::string header = freshPath("jp_ok.h");
    std::ofstream(header) << "#define ANSWER 42\n";
    Compiled c = compile("#include \"" + header +
                         "\"\nint kprobe__vfs_read(struct pt_regs *ctx) { return ANSWER; }\n");
    ASSERT_TRUE(c.status.ok()) << c.status.msg();
    EXPECT_EQ(c.diagnostics.find("error"), std::string::npos) << c.diagnostics;
}

TEST(RuntimeUntrustedInput, ASourceThatIsNotARegularFileIsRefused) {
    std::string fifo = freshPath("jp_source.fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    Result<std::string> r = read_probe_source(fifo);
    EXPECT_EQ(r.status().code(), EINVAL);
    EXPECT_EQ(r.status().msg(), fifo + ": not a regular file (a FIFO); probe sources are read "
                                       "from regular files only");
    r = read_probe_source("/dev/zero");
    EXPECT_NE(r.status().msg().find("/dev/zero: not a regular file (a character device)"),
              std::string::npos)
        << r.status().msg();
    std::string big = freshPath("jp_big_source.c");
    std::ofstream(big).close();
    std::filesystem::resize_file(big, std::uintmax_t(1) << 30);
    r = read_probe_source(big);
    std::filesystem::remove(big);
    EXPECT_EQ(r.status().code(), EFBIG) << r.status().msg();
}

TEST(RuntimeUntrustedInput, TheCliRefusesAFifoOrDeviceSource) {
    if (::access(JITPROBE_BINARY_DIR "/runtime/cli/jitprobe", X_OK) != 0)
        GTEST_SKIP() << "CLI not built";
    std::string fifo = freshPath("jp_cli.fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    for (const std::string &path : {fifo, std::string("/dev/zero")}) {
        CliOutcome o = runCli("check " + path);
        EXPECT_EQ(o.exit_code, 1) << o.output;
        EXPECT_NE(o.output.find(path + ": not a regular file"), std::string::npos) << o.output;
    }
}

TEST(RuntimeUntrustedInput, CliErrorsCarryNoRawTerminalEscapes) {
    if (::access(JITPROBE_BINARY_DIR "/runtime/cli/jitprobe", X_OK) != 0)
        GTEST_SKIP() << "CLI not built";
    // A path that would set the terminal title and ring the bell if printed raw.
    CliOutcome o = runCli("check \"$(printf '/nonexistent/jp\\033]0;pwned\\007\\r.c')\"");
    EXPECT_EQ(o.exit_code, 1) << o.output;
    EXPECT_EQ(o.output.find('\x1b'), std::string::npos) << o.output;
    EXPECT_EQ(o.output.find('\x07'), std::string::npos) << o.output;
    EXPECT_EQ(o.output.find('\r'), std::string::npos) << o.output;
    EXPECT_NE(o.output.find("/nonexistent/jp\\x1b]0;pwned\\x07\\x0d.c"), std::string::npos)
        << o.output;
}
