#include "ProcessRunner.h"

#include "jitprobe/common/UniqueFd.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

namespace jitprobe::testing {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void execChild(const std::vector<std::string> &argv, int out_fd,
                            const ProcessOptions &options) {
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    ::setpgid(0, 0);
    if (options.child_setup)
        options.child_setup();
    std::vector<char *> args;
    for (const auto &a : argv)
        args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
}

// Reads the child's output until EOF or the deadline; signals it once when ready.
void pump(pid_t pid, int fd, const ProcessOptions &options, ProcessResult &r) {
    auto deadline = Clock::now() + std::chrono::milliseconds(int64_t(options.timeout_s * 1000));
    bool signalled = false;
    char buf[65536];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            r.timed_out = true;
            ::kill(-pid, SIGKILL);
            return;
        }
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, int(std::min<int64_t>(left.count(), 200))) < 0 && errno != EINTR)
            return;
        if (p.revents & (POLLIN | POLLHUP)) {
            ssize_t n = ::read(fd, buf, sizeof buf);
            if (n <= 0)
                return;
            r.output.append(buf, size_t(n));
        }
        if (!signalled && options.send_signal && !options.ready_text.empty() &&
            r.output.find(options.ready_text) != std::string::npos) {
            if (options.on_ready)
                options.on_ready();
            ::kill(pid, options.send_signal);
            signalled = true;
        }
    }
}

} // namespace

ProcessResult runProcess(const std::vector<std::string> &argv, const ProcessOptions &options) {
    ProcessResult r;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        return r;
    auto start = Clock::now();
    pid_t pid = ::fork();
    if (pid == 0)
        execChild(argv, fds[1], options);
    ::close(fds[1]);
    pump(pid, fds[0], options, r);
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (WIFEXITED(status))
        r.exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status) && !r.timed_out)
        r.signal = WTERMSIG(status);
    return r;
}

std::string cliPath() {
    return JITPROBE_BINARY_DIR "/runtime/cli/jitprobe";
}

std::string shellOutput(const std::string &command, int *status) {
    FILE *p = ::popen((command + " 2>&1").c_str(), "r");
    std::string out;
    char buf[4096];
    while (p && !std::feof(p))
        if (std::size_t n = std::fread(buf, 1, sizeof buf, p))
            out.append(buf, n);
    int rc = p ? ::pclose(p) : -1;
    if (status)
        *status = rc;
    return out;
}

int freeLoopbackPort() {
    common::UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (!s || ::bind(s.get(), reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
        ::getsockname(s.get(), reinterpret_cast<sockaddr *>(&a), &len) != 0)
        return -1;
    return ntohs(a.sin_port);
}

std::vector<std::string> loadedProgramNames() {
    std::vector<std::string> names;
    __u32 id = 0;
    while (bpf_prog_get_next_id(id, &id) == 0) {
        int fd = bpf_prog_get_fd_by_id(id);
        if (fd < 0)
            continue; // unloaded in between
        bpf_prog_info info{};
        __u32 len = sizeof info;
        if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
            names.emplace_back(info.name);
        ::close(fd);
    }
    return names;
}

int countLoadedPrograms(const std::string &name) {
    std::string wanted = name.substr(0, BPF_OBJ_NAME_LEN - 1);
    auto names = loadedProgramNames();
    return int(std::count(names.begin(), names.end(), wanted));
}

} // namespace jitprobe::testing
