#include "CompilerProcess.h"

#include "CompilerLocator.h"
#include "jitprobe/frontend/ProcessPipe.h"
#include "jitprobe/common/Errors.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace jitprobe::detail {
namespace {

Status childStatus(int status, const std::string &file, const std::string &path) {
    if (WIFSIGNALED(status))
        return Status(-1, file + ": the probe compiler " + path + " crashed (" +
                              ::sigdescr_np(WTERMSIG(status)) +
                              "); please report this with the probe source");
    return Status(-1, file + ": the probe compiler " + path + " failed (exit status " +
                          std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
}

struct Pipe {
    int read = -1, write = -1;
    ~Pipe() {
        for (int fd : {read, write})
            if (fd >= 0)
                ::close(fd);
    }
    Status open(const std::string &what) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            return errnoStatus(errno, what + ": pipe");
        read = fds[0];
        write = fds[1];
        return Status::OK();
    }
    void closeRead() { ::close(read), read = -1; }
    void closeWrite() { ::close(write), write = -1; }
};

// Starts PATH with its stdin from IN.read and stdout to OUT.write (stderr inherited), with
// default signal handling and no blocked signals whatever the host program set (an ignored
// SIGINT would outlive a Ctrl-C; an ignored SIGPIPE is inherited across exec).
Result<pid_t> spawnCompiler(const std::string &path, Pipe &in, Pipe &out) {
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_adddup2(&actions, in.read, STDIN_FILENO);
    ::posix_spawn_file_actions_adddup2(&actions, out.write, STDOUT_FILENO);
    posix_spawnattr_t attr;
    ::posix_spawnattr_init(&attr);
    sigset_t all, none;
    ::sigfillset(&all);
    ::sigemptyset(&none);
    ::posix_spawnattr_setsigdefault(&attr, &all);
    ::posix_spawnattr_setsigmask(&attr, &none);
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    char *argv[] = {const_cast<char *>(path.c_str()), nullptr};
    pid_t pid = -1;
    int err = ::posix_spawn(&pid, path.c_str(), &actions, &attr, argv, environ);
    ::posix_spawnattr_destroy(&attr);
    ::posix_spawn_file_actions_destroy(&actions);
    if (err != 0)
        return errnoStatus(err, "cannot start the probe compiler " + path);
    return pid;
}

// Writes DATA to FD with SIGPIPE blocked in this thread (a pending one is consumed): the
// caller's process must not die of a compiler that exited before reading.
void writeWithoutSigpipe(int fd, const std::string &data) {
    sigset_t pipe_set, old;
    ::sigemptyset(&pipe_set);
    ::sigaddset(&pipe_set, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    if (!frontend::writeAll(fd, data) && errno == EPIPE) {
        timespec zero{};
        ::sigtimedwait(&pipe_set, nullptr, &zero);
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

// The child's reply: a result, or a failure record (its code and message in STATUS).
Status readReply(const std::string &data, const std::string &file,
                 frontend::CompileResult &result) {
    int code = 0;
    std::string message;
    if (frontend::decodeCompileFailure(data, code, message))
        return Status(code, message);
    if (!frontend::decodeCompileResult(data, result))
        return Status(-1, file + ": the probe compiler sent an unreadable result");
    return Status::OK();
}

} // namespace

Status compileInChildProcess(const std::string &source, const frontend::CompileOptions &options,
                             frontend::CompileResult &result) {
    Result<std::string> path = CompilerLocator::find();
    if (!path.ok())
        return Status(path.status().code(), options.file_name + ": " + path.status().msg());
    Pipe in, out;
    if (Status s = in.open("cannot start the probe compiler"); !s.ok())
        return s;
    if (Status s = out.open("cannot start the probe compiler"); !s.ok())
        return s;
    Result<pid_t> child = spawnCompiler(*path, in, out);
    if (!child.ok())
        return Status(child.status().code(), options.file_name + ": " + child.status().msg());
    in.closeRead();
    out.closeWrite();
    // The child reads the whole request before it writes anything, so writing all of it first
    // cannot deadlock; a child that died early shows in its exit status, not as a SIGPIPE here.
    writeWithoutSigpipe(in.write, frontend::encodeCompileRequest(source, options));
    in.closeWrite();
    std::string data = frontend::readAll(out.read);
    int status = 0;
    while (::waitpid(*child, &status, 0) < 0 && errno == EINTR) {
    }
    bool replied = WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 2);
    return replied ? readReply(data, options.file_name, result)
                   : childStatus(status, options.file_name, *path);
}

} // namespace jitprobe::detail
