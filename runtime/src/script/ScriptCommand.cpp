// BlockedCommand: fork now, exec COMMAND later (after the probes are attached): directly when it
// is plain words, like a shell would run it, else through /bin/sh -c.
#include "ScriptParts.h"

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace jitprobe {

BlockedCommand::~BlockedCommand() {
    if (pid_ > 0 && !reaped_)
        terminate();
}

// COMMAND's words when it is nothing but words of plain characters (no quotes, variables, globs,
// redirections, operators or assignment prefix): what /bin/sh -c would exec, minus the shell's
// own fork and exec (~1.5 ms before the command runs). Empty: leave it to the shell.
std::vector<std::string> plainWords(const std::string &command) {
    std::vector<std::string> words;
    std::string word;
    for (char c : command + " ") {
        bool plain = std::isalnum(static_cast<unsigned char>(c)) || std::strchr("/._,:+@%=-", c);
        if (c == ' ' || c == '\t') {
            if (!word.empty())
                words.push_back(std::exchange(word, {}));
        } else if (plain && c != '\0') {
            word += c;
        } else {
            return {};
        }
    }
    if (!words.empty() && words[0].find('=') != std::string::npos)
        return {}; // VAR=value prefix
    return words;
}

Status BlockedCommand::start(const std::string &command) {
    // Built before fork: the child only execs.
    std::vector<std::string> words = plainWords(command);
    std::vector<char *> argv;
    for (auto &w : words)
        argv.push_back(w.data());
    argv.push_back(nullptr);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return Status(errno, std::string("cannot create a pipe for the command: ") + std::strerror(errno));
    common::UniqueFd wait_end(fds[0]), go_end(fds[1]);
    pid_t pid = fork();
    if (pid < 0)
        return Status(errno, std::string("cannot fork the command: ") + std::strerror(errno));
    if (pid == 0) {
        // Child: wait for the go byte; EOF without it means the run was abandoned.
        go_end.reset();
        char go = 0;
        ssize_t n;
        do {
            n = ::read(wait_end.get(), &go, 1);
        } while (n < 0 && errno == EINTR);
        if (n != 1)
            _exit(127);
        if (!words.empty())
            execvp(argv[0], argv.data()); // not found (a shell builtin, say): the shell decides
        execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char *>(nullptr));
        _exit(127);
    }
    pid_ = pid;
    go_fd_ = std::move(go_end);
    pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))); // -1: no wakeup, polling only
    return Status::OK();
}

Status BlockedCommand::release() {
    if (!go_fd_)
        return Status(EINVAL, "command already released");
    char go = 'g';
    ssize_t n = ::write(go_fd_.get(), &go, 1);
    int err = errno;
    go_fd_.reset();
    if (n != 1)
        return Status(err, std::string("cannot start the command: ") + std::strerror(err));
    return Status::OK();
}

void BlockedCommand::record_status(int status) {
    reaped_ = true;
    if (WIFEXITED(status))
        exit_code_ = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        exit_code_ = 128 + WTERMSIG(status);
}

bool BlockedCommand::poll_exited() {
    if (pid_ <= 0 || reaped_)
        return true;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_)
        record_status(status);
    else if (r < 0 && errno == ECHILD)
        reaped_ = true;
    return reaped_;
}

void BlockedCommand::terminate() {
    if (pid_ <= 0 || reaped_)
        return;
    if (go_fd_) { // never released: closing the pipe makes it exit by itself
        go_fd_.reset();
    } else {
        kill(pid_, SIGTERM);
    }
    for (int i = 0; i < 100 && !poll_exited(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!reaped_) {
        kill(pid_, SIGKILL);
        int status = 0;
        if (waitpid(pid_, &status, 0) == pid_)
            record_status(status);
        reaped_ = true;
    }
}

} // namespace jitprobe
