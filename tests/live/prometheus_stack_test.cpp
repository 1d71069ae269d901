// issue 15: decode=LABEL:kstack|ustack: a map keyed by stack ids (BCC's profile/offcputime key)
// served with the folded, symbolized frames as label values: kernel stacks from a tracepoint,
// user stacks from a uprobe on this test binary.
#include "LiveSupport.h"
#include "ProcessRunner.h"

#include <httplib.h>

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using namespace jitprobe::testing;

// The user stack's innermost frame: the uprobe fires on its first instruction.
extern "C" __attribute__((noinline, used)) int jp_prom_stack_leaf(int x) {
    __asm__ volatile("" ::: "memory");
    return x + 1;
}

namespace {

// A child of this process, held until go(): calls jp_prom_stack_leaf and getppid 20 times
// each, then stays alive (its user addresses are symbolized through its /proc maps) until
// killed.
class StackWorkload {
  public:
    StackWorkload() {
        int go[2], done[2];
        if (pipe2(go, O_CLOEXEC) != 0 || pipe2(done, O_CLOEXEC) != 0)
            return;
        pid_ = fork();
        if (pid_ == 0) {
            char c;
            if (read(go[0], &c, 1) != 1)
                _exit(1);
            int acc = 0;
            for (int i = 0; i < 20; ++i)
                acc = jp_prom_stack_leaf(acc) + static_cast<int>(getppid() & 0);
            (void)!write(done[1], "d", 1);
            pause();
            _exit(acc == 20 ? 0 : 1);
        }
        close(go[0]);
        close(done[1]);
        go_ = go[1];
        done_ = done[0];
    }
    ~StackWorkload() {
        close(go_);
        close(done_);
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    bool runCalls() {
        char c;
        return write(go_, "g", 1) == 1 && read(done_, &c, 1) == 1;
    }
    pid_t pid() const { return pid_; }

  private:
    pid_t pid_ = -1;
    int go_ = -1, done_ = -1;
};

std::string stackProbe(const std::string &binary) {
    return R"(struct key_t { u32 tgid; int kstack; int ustack; };
BPF_HASH(counts, struct key_t, u64);
BPF_STACK_TRACE(stack_traces, 256);
// @metric counts decode=kstack:kstack decode=ustack:ustack
struct ip_key { u32 tgid; u32 user; u64 ip; };
BPF_HASH(ips, struct ip_key, u64);
// @metric ips decode=ip:ksym
// @metric uips decode=ip:usym
BPF_HASH(uips, struct ip_key, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET)
        return 0;
    struct key_t k = {.tgid = TARGET, .kstack = stack_traces.get_stackid(args, 0), .ustack = -1};
    counts.increment(k);
    u64 frames[4] = {};
    if (bpf_get_stack(args, frames, sizeof(frames), 0) > 0) {
        struct ip_key ik = {.tgid = TARGET, .ip = frames[0]};
        ips.increment(ik);
    }
    return 0;
}
// @attach uprobe:)" +
           binary + R"(:jp_prom_stack_leaf -> on_leaf
int on_leaf(struct pt_regs *ctx) {
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET)
        return 0;
    struct key_t k = {.tgid = TARGET, .kstack = -1, .ustack = stack_traces.get_stackid(ctx, BPF_F_USER_STACK)};
    counts.increment(k);
    struct ip_key ik = {.tgid = TARGET, .user = 1, .ip = PT_REGS_IP(ctx)};
    uips.increment(ik);
    return 0;
}
)";
}

} // namespace

TEST(PrometheusLive, StackIdsAreServedAsFoldedSymbolizedFrames) {
    JP_REQUIRE_BPF_PRIVILEGES();
    std::filesystem::path dir = ::testing::TempDir() + "prom_stacks_" + std::to_string(getpid());
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "stacks.c")
        << stackProbe(std::filesystem::read_symlink("/proc/self/exe").string());
    int port = freeLoopbackPort();
    ASSERT_GT(port, 0);
    StackWorkload work;
    ASSERT_GT(work.pid(), 0);
    std::string page;
    ProcessOptions po;
    po.timeout_s = 120;
    po.ready_text = "serving";
    po.send_signal = SIGINT;
    po.on_ready = [&] {
        ASSERT_TRUE(work.runCalls());
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(5, 0);
        for (int i = 0; i < 50; ++i) { // the scrape reads the maps on the polling thread
            auto res = client.Get("/metrics");
            page = res ? res->body : "";
            if (page.find("jitprobe_counts_total{tgid=") != std::string::npos &&
                page.find("[missed stack]\"} 20") != std::string::npos)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    };
    auto r = runProcess({cliPath(), "serve", (dir / "stacks.c").string(), "-D",
                         "TARGET=" + std::to_string(work.pid()), "--listen",
                         "127.0.0.1:" + std::to_string(port)},
                        po);
    std::filesystem::remove_all(dir);
    EXPECT_TRUE(r.exited() && r.exit_code == 0) << r.output;
    // Kernel: the syscall entry's frames, outermost first, innermost last (series in any order).
    std::string tgid = "jitprobe_counts_total{tgid=\"" + std::to_string(work.pid()) + "\",";
    std::string kernelLine, userLine;
    std::istringstream lines(page);
    for (std::string line; std::getline(lines, line);)
        if (line.starts_with(tgid))
            (line.find("ustack=\"[missed stack]\"") != std::string::npos ? kernelLine : userLine) =
                line;
    EXPECT_NE(kernelLine.find("kstack=\"entry_SYSCALL_64"), std::string::npos) << page;
    EXPECT_NE(kernelLine.find(";do_syscall_64;"), std::string::npos) << page;
    EXPECT_TRUE(kernelLine.ends_with("} 20")) << page;
    // User: the probed function is the innermost frame.
    EXPECT_NE(userLine.find("kstack=\"[missed stack]\",ustack=\""), std::string::npos) << page;
    EXPECT_TRUE(userLine.ends_with("jp_prom_stack_leaf\"} 20")) << page;
    // ksym/usym: single addresses. The kernel's innermost frame is the kernel stack's last one.
    std::size_t semi = kernelLine.find("\",ustack=");
    std::string innermost = kernelLine.substr(0, semi);
    innermost = innermost.substr(innermost.rfind(';') + 1);
    EXPECT_FALSE(innermost.empty()) << kernelLine;
    EXPECT_NE(page.find("jitprobe_ips_total{tgid=\"" + std::to_string(work.pid()) +
                        "\",user=\"0\",ip=\"" + innermost + "\"} 20\n"),
              std::string::npos)
        << innermost << "\n"
        << page;
    EXPECT_NE(page.find("jitprobe_uips_total{tgid=\"" + std::to_string(work.pid()) +
                        "\",user=\"1\",ip=\"jp_prom_stack_leaf\"} 20\n"),
              std::string::npos)
        << page;
}
