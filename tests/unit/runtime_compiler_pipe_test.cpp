// The compiler pipe against hostile or broken compilers (issue 19): fake jitprobe-compiler
// scripts that sleep, leave a child holding stdout, write without end or announce absurd sizes.
// Each must end in a clean error within the deadline, with the compiler's process group gone.
#include "compiler/CompilerProcess.h"
#include "jitprobe/BPF.h"
#include "jitprobe/frontend/ProcessPipe.h"

#include "ScopedEnv.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace jitprobe;
using namespace jitprobe::detail;
using namespace std::chrono_literals;

using jitprobe::testing::ScopedEnv;
using jitprobe::testing::fakeCompiler;

namespace {

// Process group id and state of /proc/PID ('\0' when gone).
bool procStat(pid_t pid, char &state, pid_t &pgrp) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    size_t paren = text.rfind(')');
    if (paren == std::string::npos)
        return false;
    std::istringstream rest(text.substr(paren + 2));
    pid_t ppid = 0;
    return static_cast<bool>(rest >> state >> ppid >> pgrp);
}

// Live (not zombie) processes in group PGID, after up to 2 s for SIGKILL to land.
int liveGroupMembers(pid_t pgid) {
    for (int tries = 0;; tries++) {
        int live = 0;
        for (const auto &entry : std::filesystem::directory_iterator("/proc")) {
            pid_t pid = std::atoi(entry.path().filename().c_str());
            char state = 0;
            pid_t pgrp = 0;
            if (pid > 0 && procStat(pid, state, pgrp) && pgrp == pgid && state != 'Z')
                live++;
        }
        if (live == 0 || tries == 20)
            return live;
        std::this_thread::sleep_for(100ms);
    }
}

pid_t pidInMessage(const std::string &msg) {
    size_t at = msg.find("(pid ");
    return at == std::string::npos ? -1 : std::atoi(msg.c_str() + at + 5);
}

struct Timed {
    Status status;
    double seconds = 0;
};

Timed compileWith(const std::string &compiler, CompileLimits limits,
                  const std::string &source = "int x;\n") {
    ScopedEnv env("JITPROBE_COMPILER", compiler);
    frontend::CompileOptions options;
    options.file_name = "p.c";
    frontend::CompileResult result;
    auto t0 = std::chrono::steady_clock::now();
    Timed out;
    out.status = compileInChildProcess(source, options, result, limits);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

CompileLimits withTimeout(std::chrono::milliseconds timeout) {
    CompileLimits limits;
    limits.timeout = timeout;
    return limits;
}

// Peak RSS of this process since resetPeakRss(), in MiB.
void resetPeakRss() {
    std::ofstream("/proc/self/clear_refs") << "5";
}
long peakRssMiB() {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmHWM:", 0) == 0)
            return std::atol(line.c_str() + 6) / 1024;
    return -1;
}

const char *kHugeHeader =
    R"({"ok":true,"diags":"[]","info":"{}","times":[0,0,0,0,0],"core_btf_note":"",)"
    R"("sizes":[9223372036854775807,9223372036854775809,0,0,0]})";

} // namespace

TEST(RuntimeCompilerPipe, ASleepingCompilerIsKilledAtTheDeadline) {
    Timed t = compileWith(fakeCompiler("jp_sleep.sh", "sleep 60"), withTimeout(1s));
    ASSERT_FALSE(t.status.ok());
    EXPECT_EQ(t.status.code(), ETIMEDOUT);
    EXPECT_NE(t.status.msg().find("jp_sleep.sh (pid "), std::string::npos) << t.status.msg();
    EXPECT_NE(t.status.msg().find("): no reply within 1 s; killed"), std::string::npos)
        << t.status.msg();
    EXPECT_LT(t.seconds, 3.0);
    pid_t pgid = pidInMessage(t.status.msg());
    ASSERT_GT(pgid, 0);
    EXPECT_EQ(liveGroupMembers(pgid), 0) << "the sleep child of the script must be gone too";
}

TEST(RuntimeCompilerPipe, ACompilerThatNeverReadsItsRequestCannotBlockTheWriter) {
    // 4 MiB of source: far more than a pipe buffer, so a blocking write would never return.
    std::string source(4u << 20, ' ');
    Timed t = compileWith(fakeCompiler("jp_noread.sh", "exec sleep 60"), withTimeout(1s), source);
    EXPECT_EQ(t.status.code(), ETIMEDOUT) << t.status.msg();
    EXPECT_LT(t.seconds, 3.0);
}

TEST(RuntimeCompilerPipe, AChildHoldingStdoutAfterTheCompilerExitedDoesNotHang) {
    std::string script = "cat >/dev/null; sleep 60 & "
                         "echo '{\"error_code\":5,\"error\":\"p.c: done\"}'; exit 2";
    Timed t = compileWith(fakeCompiler("jp_fork.sh", script), withTimeout(30s));
    EXPECT_EQ(t.status.code(), 5) << t.status.msg();
    EXPECT_EQ(t.status.msg(), "p.c: done");
    EXPECT_LT(t.seconds, 5.0) << "waited for the end of file the orphan never sends";
}

TEST(RuntimeCompilerPipe, AnOrphanHoldingStdoutIsKilledWithTheGroup) {
    std::string pid_file = ::testing::TempDir() + "jp_orphan.pid";
    std::string script = "cat >/dev/null; sleep 60 & echo $! > " + pid_file +
                         "; echo '{\"error_code\":5,\"error\":\"p.c: done\"}'; exit 2";
    Timed t = compileWith(fakeCompiler("jp_orphan.sh", script), withTimeout(30s));
    EXPECT_EQ(t.status.code(), 5) << t.status.msg();
    pid_t orphan = 0;
    std::ifstream(pid_file) >> orphan;
    ASSERT_GT(orphan, 0);
    char state = 0;
    pid_t pgrp = 0;
    for (int i = 0; i < 20 && procStat(orphan, state, pgrp) && state != 'Z'; i++)
        std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(!procStat(orphan, state, pgrp) || state == 'Z') << "orphan " << orphan << " lives";
}

TEST(RuntimeCompilerPipe, AWholeReplyThenEndOfFileIsFinalWithoutWaitingForTheExit) {
    // As jitprobe-compiler does: reply, close stdout, then exit (here: linger 60 s first). The
    // caller goes on at the end of file; the lingering group is killed and reaped behind it.
    std::string pid_file = ::testing::TempDir() + "jp_linger.pid";
    std::string script = "echo $$ > " + pid_file + "; cat >/dev/null; "
                         "echo '{\"error_code\":5,\"error\":\"p.c: done\"}'; exec >&-; sleep 60";
    Timed t = compileWith(fakeCompiler("jp_linger.sh", script), withTimeout(30s));
    EXPECT_EQ(t.status.code(), 5) << t.status.msg();
    EXPECT_EQ(t.status.msg(), "p.c: done");
    EXPECT_LT(t.seconds, 5.0) << "waited for the exit of a compiler whose reply was complete";
    pid_t pgid = 0;
    std::ifstream(pid_file) >> pgid;
    ASSERT_GT(pgid, 0);
    EXPECT_EQ(liveGroupMembers(pgid), 0) << "the lingering compiler and its sleep must be killed";
}

TEST(RuntimeCompilerPipe, AnIncompleteReplyThenEndOfFileWaitsForTheExitStatus) {
    // Half a reply and a closed stdout are not final: the exit status decides (here 3).
    std::string header = R"({"ok":true,"diags":"[]","info":"{}","times":[0,0,0,0,0],)"
                         R"("core_btf_note":"","sizes":[10,0,0,0,0]})";
    Timed t = compileWith(
        fakeCompiler("jp_half.sh", "cat >/dev/null; echo '" + header + "'; exec >&-; sleep 0.3; exit 3"),
        withTimeout(30s));
    EXPECT_NE(t.status.msg().find("failed (exit status 3)"), std::string::npos) << t.status.msg();
    EXPECT_GE(t.seconds, 0.3);
}

TEST(RuntimeCompilerPipe, AnEndlessWriterHitsTheHeaderCapWithBoundedMemory) {
    resetPeakRss();
    Timed t = compileWith(fakeCompiler("jp_zero.sh", "exec cat /dev/zero"), withTimeout(30s));
    EXPECT_EQ(t.status.code(), EFBIG) << t.status.msg();
    EXPECT_NE(t.status.msg().find("reply header exceeds the 16 MiB cap; killed"), std::string::npos)
        << t.status.msg();
    EXPECT_LT(peakRssMiB(), 200);
    EXPECT_EQ(liveGroupMembers(pidInMessage(t.status.msg())), 0);
}

TEST(RuntimeCompilerPipe, AWriterPastItsAnnouncedSizeIsCut) {
    std::string header = R"({"ok":true,"diags":"[]","info":"{}","times":[0,0,0,0,0],)"
                         R"("core_btf_note":"","sizes":[10,0,0,0,0]})";
    resetPeakRss();
    Timed t = compileWith(
        fakeCompiler("jp_more.sh", "cat >/dev/null; echo '" + header + "'; exec cat /dev/zero"),
        withTimeout(30s));
    EXPECT_EQ(t.status.code(), EPROTO) << t.status.msg();
    EXPECT_NE(t.status.msg().find("sent more than the"), std::string::npos) << t.status.msg();
    EXPECT_LT(peakRssMiB(), 200);
}

TEST(RuntimeCompilerPipe, HugeAnnouncedSizesAreACleanError) {
    Timed t = compileWith(
        fakeCompiler("jp_huge.sh", std::string("cat >/dev/null; echo '") + kHugeHeader + "'"),
        withTimeout(30s));
    EXPECT_EQ(t.status.code(), EFBIG);
    EXPECT_NE(t.status.msg().find(
                  "reply part 'object' of 9223372036854775807 bytes exceeds the 256 MiB cap"),
              std::string::npos)
        << t.status.msg();
}

TEST(RuntimeCompilerPipe, WrappingSizesNeverReachAnAllocation) {
    // 2^63 + 2^63 wraps to 0, which once matched an empty body and then copied 2^63 bytes.
    std::string bytes = R"({"ok":true,"diags":"[]","info":"{}","times":[0,0,0,0,0],)"
                        R"("core_btf_note":"","sizes":[9223372036854775808,)"
                        R"(9223372036854775808,0,0,0]})"
                        "\n";
    frontend::CompileResult r;
    EXPECT_FALSE(frontend::decodeCompileResult(bytes, r));
    frontend::ReplyLimits unlimited{SIZE_MAX, SIZE_MAX, SIZE_MAX};
    auto body = frontend::replyBodySize(bytes.substr(0, bytes.size() - 1), unlimited);
    ASSERT_FALSE(body.ok());
    EXPECT_EQ(body.status().msg(), "reply part sizes overflow when added");
}

TEST(RuntimeCompilerPipe, BpfInitReturnsAStatusForHugeSizes) {
    ScopedEnv env(
        "JITPROBE_COMPILER",
        fakeCompiler("jp_huge_api.sh", std::string("cat >/dev/null; echo '") + kHugeHeader + "'"));
    BPF bpf;
    InitOptions opts;
    opts.file_name = "p.c";
    opts.use_cache = false;
    opts.cache_dir = ::testing::TempDir() + "jp_pipe_cache";
    Status s = bpf.init("int x;\n", {}, opts);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.msg().find("exceeds the 256 MiB cap"), std::string::npos) << s.msg();
}

TEST(RuntimeCompilerPipe, BpfInitHonoursItsTimeoutAndCancel) {
    ScopedEnv env("JITPROBE_COMPILER", fakeCompiler("jp_sleep_api.sh", "exec sleep 60"));
    BPF bpf;
    InitOptions opts;
    opts.use_cache = false;
    opts.cache_dir = ::testing::TempDir() + "jp_pipe_cache";
    opts.compile_timeout = 1s;
    auto t0 = std::chrono::steady_clock::now();
    Status s = bpf.init("int x;\n", {}, opts);
    EXPECT_EQ(s.code(), ETIMEDOUT) << s.msg();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);

    opts.compile_timeout = 60s;
    t0 = std::chrono::steady_clock::now();
    opts.compile_cancelled = [t0] { return std::chrono::steady_clock::now() - t0 > 300ms; };
    BPF other;
    s = other.init("int x;\n", {}, opts);
    EXPECT_EQ(s.code(), EINTR) << s.msg();
    EXPECT_NE(s.msg().find("interrupted; killed"), std::string::npos) << s.msg();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
}

TEST(RuntimeCompilerPipe, TimeoutComesFromOptionThenEnvironment) {
    EXPECT_EQ(*compileTimeout(5s), 5s);
    {
        ScopedEnv env("JITPROBE_COMPILE_TIMEOUT", "1.5");
        EXPECT_EQ(*compileTimeout(), 1500ms);
        EXPECT_EQ(*compileTimeout(2s), 2s);
    }
    ScopedEnv env("JITPROBE_COMPILE_TIMEOUT", "soon");
    Result<std::chrono::milliseconds> bad = compileTimeout();
    EXPECT_EQ(bad.status().code(), EINVAL);
    EXPECT_NE(bad.status().msg().find("JITPROBE_COMPILE_TIMEOUT='soon'"), std::string::npos);
    ::unsetenv("JITPROBE_COMPILE_TIMEOUT");
    EXPECT_EQ(*compileTimeout(), kDefaultCompileTimeout);
}

TEST(RuntimeCompilerPipe, ACallerKilledBySignalTakesTheCompilerWithIt) {
    std::string pid_file = ::testing::TempDir() + "jp_deathsig.pid";
    std::remove(pid_file.c_str());
    std::string compiler =
        fakeCompiler("jp_deathsig.sh", "echo $$ > " + pid_file + "; exec sleep 60");
    pid_t caller = ::fork();
    if (caller == 0) { // a caller that dies of SIGKILL mid-compile: no destructor runs
        (void)compileWith(compiler, withTimeout(60s));
        ::_exit(0);
    }
    pid_t compiler_pid = 0;
    for (int i = 0; i < 50 && compiler_pid <= 0; i++) {
        std::this_thread::sleep_for(100ms);
        std::ifstream(pid_file) >> compiler_pid;
    }
    ::kill(caller, SIGKILL);
    ::waitpid(caller, nullptr, 0);
    ASSERT_GT(compiler_pid, 0);
    char state = 0;
    pid_t pgrp = 0;
    for (int i = 0; i < 20 && procStat(compiler_pid, state, pgrp) && state != 'Z'; i++)
        std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(!procStat(compiler_pid, state, pgrp) || state == 'Z')
        << "compiler " << compiler_pid << " outlived its caller";
}

TEST(RuntimeCompilerPipe, TheCliReportsHugeSizesWithoutAnInternalError) {
    std::string cli = JITPROBE_BINARY_DIR "/runtime/cli/jitprobe";
    if (::access(cli.c_str(), X_OK) != 0)
        GTEST_SKIP() << cli << " not built";
    std::string compiler =
        fakeCompiler("jp_huge_cli.sh", std::string("cat >/dev/null; echo '") + kHugeHeader + "'");
    std::string source = ::testing::TempDir() + "jp_huge_cli.c";
    std::ofstream(source) << "int x;\n";
    std::string cmd = "JITPROBE_COMPILER=" + compiler +
                      " JITPROBE_CACHE_DIR=" + ::testing::TempDir() + "jp_pipe_cache " + cli +
                      " check --no-cache " + source + " 2>&1";
    FILE *p = ::popen(cmd.c_str(), "r");
    ASSERT_TRUE(p);
    std::string out;
    std::array<char, 4096> buf;
    for (size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;)
        out.append(buf.data(), n);
    int status = ::pclose(p);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << out;
    EXPECT_NE(out.find("exceeds the 256 MiB cap"), std::string::npos) << out;
    EXPECT_EQ(out.find("internal error"), std::string::npos) << out;
}

TEST(RuntimeCompilerPipe, SigtermDuringACliCompileKillsTheWholeGroup) {
    std::string cli = JITPROBE_BINARY_DIR "/runtime/cli/jitprobe";
    if (::access(cli.c_str(), X_OK) != 0)
        GTEST_SKIP() << cli << " not built";
    std::string pid_file = ::testing::TempDir() + "jp_term.pid";
    std::remove(pid_file.c_str());
    std::string compiler =
        fakeCompiler("jp_term.sh", "sleep 60 & echo $! > " + pid_file + "; wait");
    std::string source = ::testing::TempDir() + "jp_term.c";
    std::ofstream(source) << "int x;\n";
    std::string cache = ::testing::TempDir() + "jp_pipe_cache";
    pid_t cli_pid = ::fork();
    if (cli_pid == 0) {
        ::setenv("JITPROBE_COMPILER", compiler.c_str(), 1);
        ::setenv("JITPROBE_CACHE_DIR", cache.c_str(), 1);
        ::freopen("/dev/null", "w", stderr);
        ::execl(cli.c_str(), cli.c_str(), "check", "--no-cache", source.c_str(), nullptr);
        ::_exit(127);
    }
    pid_t grandchild = 0;
    for (int i = 0; i < 50 && grandchild <= 0; i++) {
        std::this_thread::sleep_for(100ms);
        std::ifstream(pid_file) >> grandchild;
    }
    ::kill(cli_pid, SIGTERM);
    int status = 0;
    ::waitpid(cli_pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << "status " << status;
    ASSERT_GT(grandchild, 0);
    char state = 0;
    pid_t pgrp = 0;
    for (int i = 0; i < 20 && procStat(grandchild, state, pgrp) && state != 'Z'; i++)
        std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(!procStat(grandchild, state, pgrp) || state == 'Z')
        << "the compiler's child " << grandchild << " outlived the interrupted CLI";
}
