// A child process started in its own process group, owned like a file descriptor: destroying
// it kills the whole group (SIGKILL) and reaps the child. Why a group: a compiler that forked
// helpers (or a fake one that left a child holding its stdout) must leave nothing behind on a
// timeout, an error or an interrupted caller.
#pragma once
#include "jitprobe/Status.h"
#include "jitprobe/common/UniqueFd.h"

#include <sys/types.h>

#include <string>

namespace jitprobe::detail {

class ChildGroup {
  public:
    ChildGroup() = default;
    ChildGroup(ChildGroup &&other) noexcept;
    ChildGroup &operator=(ChildGroup &&other) noexcept;
    ChildGroup(const ChildGroup &) = delete;
    ChildGroup &operator=(const ChildGroup &) = delete;
    ~ChildGroup();

    // Runs PATH (no arguments) with STDIN_FD and STDOUT_FD as its stdin and stdout, stderr
    // inherited, default signal dispositions and no blocked signals (an ignored SIGINT or
    // SIGPIPE would be inherited across exec), as the leader of a new process group. The
    // kernel SIGKILLs it should the calling thread die first (PR_SET_PDEATHSIG).
    // EXTRA_FD, when not -1, is inherited as kExtraFd (the cache directory, handed over open so
    // the child never re-resolves its path).
    [[nodiscard]] static Result<ChildGroup> spawn(const std::string &path, int stdin_fd,
                                                  int stdout_fd, int extra_fd = -1);
    static constexpr int kExtraFd = 3;

    pid_t pid() const { return pid_; }
    // Readable once the child exited (a pidfd); -1 when the kernel has none (before 5.3).
    int exitFd() const { return pidfd_.get(); }
    // Has the child exited? Does not reap it: its pid keeps naming the group until reap().
    [[nodiscard]] bool exited() const;
    // Kills what is left of the group, reaps the child and returns its wait status.
    int reap();

  private:
    pid_t pid_ = -1;
    common::UniqueFd pidfd_;
    void release();
};

} // namespace jitprobe::detail
