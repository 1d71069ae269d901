#include "ChildGroup.h"

#include "jitprobe/common/Errors.h"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <utility>

extern char **environ;

namespace jitprobe::detail {
namespace {

// FD onto TARGET in the child; when they are already the same, only its close-on-exec goes.
void moveTo(int fd, int target) {
    if (fd == target)
        ::fcntl(fd, F_SETFD, 0);
    else
        ::dup2(fd, target);
}

// The forked child: only async-signal-safe calls (the parent may have other threads). A
// failed exec reports its errno on ERR_FD (close-on-exec: EOF means the exec succeeded).
[[noreturn]] void execChild(const char *path, int stdin_fd, int stdout_fd, int extra_fd,
                            int err_fd, pid_t parent) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) // the parent died before the line above
        ::_exit(127);
    moveTo(stdin_fd, STDIN_FILENO);
    moveTo(stdout_fd, STDOUT_FILENO);
    if (extra_fd >= 0) {
        if (err_fd == ChildGroup::kExtraFd) // keep the exec-error channel out of the way
            err_fd = ::fcntl(err_fd, F_DUPFD_CLOEXEC, ChildGroup::kExtraFd + 1);
        moveTo(extra_fd, ChildGroup::kExtraFd);
    }
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        ::sigaction(sig, &dfl, nullptr); // SIGKILL, SIGSTOP and libc's own fail: harmless
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    char *argv[] = {const_cast<char *>(path), nullptr};
    ::execve(path, argv, environ);
    int err = errno;
    (void)!::write(err_fd, &err, sizeof err);
    ::_exit(127);
}

} // namespace

ChildGroup::ChildGroup(ChildGroup &&other) noexcept
    : pid_(std::exchange(other.pid_, -1)), pidfd_(std::move(other.pidfd_)) {}

ChildGroup &ChildGroup::operator=(ChildGroup &&other) noexcept {
    if (this != &other) {
        release();
        pid_ = std::exchange(other.pid_, -1);
        pidfd_ = std::move(other.pidfd_);
    }
    return *this;
}

ChildGroup::~ChildGroup() {
    release();
}

void ChildGroup::release() {
    if (pid_ > 0)
        (void)reap();
}

// fork + exec rather than posix_spawn: posix_spawn cannot set PR_SET_PDEATHSIG, and without it a
// caller killed by a signal it does not handle would leave the compiler running.
Result<ChildGroup> ChildGroup::spawn(const std::string &path, int stdin_fd, int stdout_fd,
                                     int extra_fd) {
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0)
        return errnoStatus(errno, "cannot start " + path + ": pipe");
    common::UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0)
        execChild(path.c_str(), stdin_fd, stdout_fd, extra_fd, err_write.get(), parent);
    int fork_errno = errno;
    err_write.reset(); // the child's copy alone stays open until its exec
    if (pid < 0)
        return errnoStatus(fork_errno, "cannot start " + path + ": fork");
    ::setpgid(pid, pid); // also here: a kill of the group must not race the child's own call
    ChildGroup child;
    child.pid_ = pid;
    int exec_errno = 0;
    ssize_t n;
    while ((n = ::read(err_read.get(), &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
    }
    if (n > 0)
        return errnoStatus(exec_errno, "cannot start " + path); // child reaped on return
    // The raw call: glibc 2.36's <sys/pidfd.h> lacks extern "C" (a link error in C++).
    child.pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    return child;
}

bool ChildGroup::exited() const {
    siginfo_t info{};
    return pid_ > 0 && ::waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == pid_;
}

int ChildGroup::reap() {
    int status = 0;
    if (pid_ <= 0)
        return status;
    // The unreaped child (a zombie at worst) keeps its pid reserved as the group id, so this
    // reaches its descendants and never an unrelated group.
    ::kill(-pid_, SIGKILL);
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pidfd_.reset();
    pid_ = -1;
    return status;
}

} // namespace jitprobe::detail
