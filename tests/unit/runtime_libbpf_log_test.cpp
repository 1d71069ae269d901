// The libbpf print callback is chained: messages of jitprobe's own calls are captured into the
// error, everything else still reaches the callback the host application installed.
#include "libbpf/LibbpfLog.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdarg>
#include <string>

namespace {
std::string host_log; // what the application's own callback received

int hostPrint(enum libbpf_print_level, const char *fmt, va_list args) {
    char buf[1024];
    int n = std::vsnprintf(buf, sizeof buf, fmt, args);
    host_log += buf;
    return n;
}

// Exit code 0: every expectation held (run in a child: the callback is installed once a process).
int chainedInChild() {
    libbpf_set_print(hostPrint);
    std::string captured;
    {
        jitprobe::detail::LibbpfLogCapture capture;
        (void)bpf_object__open_file("/nonexistent/jp-captured.o", nullptr);
        captured = capture.text();
    }
    if (captured.find("jp-captured.o") == std::string::npos)
        return 1; // not captured
    if (host_log.find("jp-captured.o") != std::string::npos)
        return 2; // captured and also printed by the host
    (void)bpf_object__open_file("/nonexistent/jp-host.o", nullptr);
    return host_log.find("jp-host.o") != std::string::npos ? 0 : 3; // not chained
}
} // namespace

TEST(RuntimeLibbpfLog, CapturesOwnCallsAndChainsTheRestToTheHost) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0)
        _exit(chainedInChild());
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: not captured, 2: captured and printed, 3: not chained";
}
