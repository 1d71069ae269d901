// uprobes on symbols as binaries spell them (issue 16): Go, demangled C++, short library names.
#include "LiveSupport.h"
#include "attach/MultiLinks.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>

using namespace jitprobe;
using namespace jitprobe::testing;

namespace {

std::string replaceAll(std::string text, const std::string &from, const std::string &to) {
    for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
        text.replace(at, from.size(), to);
    return text;
}

Status initSource(BPF &bpf, const std::string &source, std::vector<std::string> cflags = {}) {
    InitOptions opts;
    opts.file_name = "symbols_probe.c";
    Status s = bpf.init(source, cflags, opts);
    return s.ok() ? bpf.attach_all() : s;
}

// A child with its stdout on a pipe; killed and reaped on destruction.
struct Child {
    pid_t pid = -1;
    int out = -1;
    ~Child() {
        if (out >= 0)
            ::close(out);
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
    // Waits up to SECONDS for the child to exit; its status, or -1 on timeout (then killed).
    int wait(int seconds) {
        for (int i = 0; i < seconds * 20; i++) {
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                return status;
            }
            ::usleep(50000);
        }
        return -1;
    }
    // One line of stdout (at most 64 bytes), within SECONDS.
    std::string line(int seconds) {
        std::string text;
        char c;
        pollfd p{out, POLLIN, 0};
        while (text.size() < 64 && ::poll(&p, 1, seconds * 1000) == 1 && ::read(out, &c, 1) == 1 &&
               c != '\n')
            text += c;
        return text;
    }
};

void spawn(Child &child, const std::vector<std::string> &argv, const std::vector<std::string> &env = {}) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    child.pid = ::fork();
    if (child.pid == 0) {
        ::dup2(fds[1], 1);
        for (const auto &e : env)
            ::putenv(const_cast<char *>(e.c_str()));
        std::vector<char *> args;
        for (const auto &a : argv)
            args.push_back(const_cast<char *>(a.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    child.out = fds[0];
}

// One HTTP/1.0 GET to 127.0.0.1:PORT; true when the reply starts with a 200 status line.
bool httpGet(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string reply;
    const char req[] = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0 &&
        ::write(fd, req, sizeof req - 1) == ssize_t(sizeof req - 1)) {
        char buf[512];
        for (ssize_t n; reply.size() < 4096 && (n = ::read(fd, buf, sizeof buf)) > 0;)
            reply.append(buf, n);
    }
    ::close(fd);
    return reply.starts_with("HTTP/1.0 200");
}

const char *kCounter = R"(
BPF_ARRAY(calls, u64, 1);
int on_call(struct pt_regs *ctx) { calls.increment(0); return 0; }
)";

// Calls per process: tests that run the same target binary concurrently do not mix counts.
const char *kPidCounter = R"(
BPF_HASH(by_pid, u32, u64);
int on_call(struct pt_regs *ctx) { by_pid.increment(bpf_get_current_pid_tgid() >> 32); return 0; }
)";

uint64_t callsBy(BPF &bpf, pid_t pid) {
    uint64_t v = 0;
    (void)bpf.get_hash_table<uint32_t, uint64_t>("by_pid").get_value(uint32_t(pid), v);
    return v;
}

uint64_t calls(BPF &bpf) {
    uint64_t v = ~0ull;
    EXPECT_TRUE(bpf.get_array_table<uint64_t>("calls").get_value(0, v).ok());
    return v;
}

} // namespace

// The issue's example, verbatim: a Go method named the way Go's symbol table spells it.
TEST(LiveUprobeSymbols, GoHttpServerRequestsCountedByGoSymbol) {
    JP_REQUIRE_BPF_PRIVILEGES();
    std::string why, server = goServer(why);
    if (server.empty())
        GTEST_SKIP() << why;
    BPF bpf;
    // README's Go register-ABI example: the receiver (one *ServeMux) and the *http.Request.
    Status s = initSource(bpf, "// @attach uprobe:" + server +
                                   ":net/http.(*ServeMux).ServeHTTP -> on_serve\n" + kCounter + R"(
BPF_HASH(requests_by_mux, u64, u64);
int on_serve(struct pt_regs *ctx) {
    u64 mux = ctx->ax;           // GO_PARAM1: the receiver
    void *req = (void *)ctx->di; // GO_PARAM4: after w's two interface words
    if (req)
        requests_by_mux.increment(mux);
    calls.increment(0);
    return 0;
}
)");
    ASSERT_TRUE(s.ok()) << s.msg();
    Child srv;
    spawn(srv, {server});
    int port = std::atoi(srv.line(10).c_str());
    ASSERT_GT(port, 0) << "the Go server did not print its port";
    const int requests = 7;
    for (int i = 0; i < requests; i++)
        ASSERT_TRUE(httpGet(port)) << "request " << i;
    EXPECT_EQ(calls(bpf), uint64_t(requests));
    auto by_mux = bpf.get_hash_table<uint64_t, uint64_t>("requests_by_mux").get_table_offline();
    ASSERT_EQ(by_mux.size(), 1u); // one ServeMux served every request
    EXPECT_NE(by_mux[0].first, 0u);
    EXPECT_EQ(by_mux[0].second, uint64_t(requests));
    // The C++ API takes the same spelling; main.main ran once, before the probe was attached.
    EXPECT_TRUE(bpf.attach_uprobe(server, "main.main", "on_call").ok());
}

TEST(LiveUprobeSymbols, CxxMethodByDemangledNameAttachesTheMangledSymbol) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initSource(bpf, replaceAll("// @attach uprobe:TARGET:shapes::Square::area(int) const"
                                          " -> on_call\n",
                                          "TARGET", UPROBE_CXX_TARGET) +
                                   kPidCounter);
    ASSERT_TRUE(s.ok()) << s.msg();
    Child target;
    spawn(target, {UPROBE_CXX_TARGET, "11"});
    pid_t pid = target.pid;
    ASSERT_EQ(target.wait(30), 0);
    EXPECT_EQ(callsBy(bpf, pid), 11u);
    // Without the parameter list the name is ambiguous: the error lists both mangled symbols.
    Status amb = bpf.attach_uprobe(UPROBE_CXX_TARGET, "shapes::Square::area", "on_call");
    EXPECT_EQ(amb.code(), EINVAL);
    EXPECT_NE(amb.msg().find("_ZNK6shapes6Square4areaEd"), std::string::npos) << amb.msg();
}

// "libc" is the libc the loader maps (ld.so.cache); only this process's calls are counted.
// labs, not malloc: sanitizer builds replace malloc, so libc's would never run.
TEST(LiveUprobeSymbols, LibcShortNameAndVersionedSymbol) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initSource(bpf, R"(
// @attach uprobe:libc:labs@@GLIBC_2.2.5 -> on_labs
BPF_ARRAY(calls, u64, 1);
int on_labs(struct pt_regs *ctx) {
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID || PT_REGS_PARM1(ctx) != 12345) return 0;
    calls.increment(0);
    return 0;
}
)",
                          {"-DTARGET_PID=" + std::to_string(::getpid())});
    ASSERT_TRUE(s.ok()) << s.msg();
    long (*volatile absolute)(long) = &::labs; // through a pointer: not folded by the compiler
    for (int i = 0; i < 5; i++)
        EXPECT_EQ(absolute(12345), 12345);
    EXPECT_EQ(calls(bpf), 5u);
}

// `jitprobe run -p PID` / InitOptions::attach_pid: the short name is the libc that process maps,
// and the probe fires in it alone (this test process calls labs too, uncounted).
TEST(LiveUprobeSymbols, AttachPidResolvesShortNamesAndFiltersToThatProcess) {
    JP_REQUIRE_BPF_PRIVILEGES();
    std::string go = ::testing::TempDir() + "jp_attach_pid_go." + std::to_string(::getpid());
    ::unlink(go.c_str());
    Child target; // waits (at most 30 s) for GO, then calls labs(12345) 7 times
    spawn(target, {"/usr/bin/python3", "-c",
                   "import ctypes, os, sys, time\n"
                   "for _ in range(3000):\n"
                   "    if os.path.exists(sys.argv[1]): break\n"
                   "    time.sleep(0.01)\n"
                   "c = ctypes.CDLL('libc.so.6'); c.labs.argtypes = [ctypes.c_long]\n"
                   "for _ in range(7): c.labs(12345)\n",
                   go});
    // The short name is resolved in /proc/PID/maps: wait until they show python3 and its libc
    // (right after the fork they are this test's, then only the interpreter's).
    bool mapped = false;
    for (int i = 0; i < 600 && !mapped; i++) {
        mapped = jitprobe::testing::readWholeFile("/proc/" + std::to_string(target.pid) + "/maps").find("/python3") !=
                     std::string::npos &&
                 jitprobe::testing::readWholeFile("/proc/" + std::to_string(target.pid) + "/maps").find("libc.so") !=
                     std::string::npos;
        if (!mapped)
            ::usleep(50000);
    }
    ASSERT_TRUE(mapped) << "python3 never mapped libc";
    BPF bpf;
    InitOptions opts;
    opts.file_name = "attach_pid.c";
    opts.attach_pid = target.pid;
    Status s = bpf.init(R"(
// @attach uprobe:libc:labs -> on_labs
BPF_ARRAY(calls, u64, 1);
int on_labs(struct pt_regs *ctx) {
    if (PT_REGS_PARM1(ctx) == 12345)
        calls.increment(0);
    return 0;
}
)", {}, opts);
    ASSERT_TRUE(s.ok()) << s.msg();
    Status attached = bpf.attach_all();
    ASSERT_TRUE(attached.ok()) << attached.msg();
    long (*volatile absolute)(long) = &::labs;
    for (int i = 0; i < 3; i++) // this process: not the attach pid, not counted
        EXPECT_EQ(absolute(12345), 12345);
    std::ofstream(go) << "go\n";
    EXPECT_EQ(target.wait(30), 0);
    ::unlink(go.c_str());
    EXPECT_EQ(calls(bpf), 7u);
}

// Wildcards (issue 16): one attachment per match, counted per target.
TEST(LiveWildcards, UprobeGlobAttachesEveryMatchingFunction) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initSource(bpf, replaceAll("// @attach uprobe:TARGET:jp_wild_* -> on_call\n",
                                          "TARGET", UPROBE_CXX_TARGET) +
                                   kPidCounter);
    ASSERT_TRUE(s.ok()) << s.msg();
    // jp_wild_one, jp_wild_two: one uprobe.multi link, else one link each.
    EXPECT_EQ(bpf.attachments().size(), detail::uprobeMultiSupport().ok() ? 1u : 2u);
    Child target;
    spawn(target, {UPROBE_CXX_TARGET, "6"});
    pid_t pid = target.pid;
    ASSERT_EQ(target.wait(30), 0);
    EXPECT_EQ(callsBy(bpf, pid), 18u); // 6 + 2 * 6
    // The pattern detaches what it attached.
    EXPECT_TRUE(bpf.detach_uprobe(UPROBE_CXX_TARGET, "jp_wild_*").ok());
    EXPECT_TRUE(bpf.attachments().empty());
    Status none = bpf.attach_uprobe(UPROBE_CXX_TARGET, "jp_nomatch_*", "on_call");
    EXPECT_EQ(none.code(), ENOENT);
    EXPECT_NE(none.msg().find("matches nothing"), std::string::npos) << none.msg();
}

TEST(LiveWildcards, TracepointGlobCountsCallsFromSeveralTargets) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    Status s = initSource(bpf, R"(
// @attach tracepoint:syscalls:sys_enter_get*pid -> on_enter
BPF_HASH(by_nr, u64, u64);
int on_enter(void *ctx) {
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID) return 0;
    u64 nr = *(int *)((char *)ctx + 8); // __syscall_nr, after the 8 bytes of common fields
    by_nr.increment(nr);
    return 0;
}
)",
                          {"-DTARGET_PID=" + std::to_string(::getpid())});
    ASSERT_TRUE(s.ok()) << s.msg();
    EXPECT_EQ(bpf.attachments().size(), 2u); // sys_enter_getpid, sys_enter_getppid
    for (int i = 0; i < 4; i++)
        (void)::syscall(SYS_getpid);
    for (int i = 0; i < 3; i++)
        (void)::syscall(SYS_getppid);
    auto counts = bpf.get_hash_table<uint64_t, uint64_t>("by_nr").get_table_offline();
    std::map<uint64_t, uint64_t> by_nr(counts.begin(), counts.end());
    EXPECT_EQ(by_nr[SYS_getpid], 4u);
    EXPECT_EQ(by_nr[SYS_getppid], 3u);
}
