#include "CompilerProcess.h"
#include "jitprobe/common/UniqueFd.h"

#include "ChildGroup.h"
#include "CompilerLocator.h"
#include "jitprobe/common/Errors.h"

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <system_error>
#include <thread>

namespace jitprobe::detail {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Status childStatus(int status, const std::string &file, const std::string &path) {
    if (WIFSIGNALED(status))
        return Status(-1, file + ": the probe compiler " + path + " crashed (" +
                              ::sigdescr_np(WTERMSIG(status)) +
                              "); please report this with the probe source");
    return Status(-1, file + ": the probe compiler " + path + " failed (exit status " +
                          std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
}

// A pipe; the caller's ends are made non-blocking (the exchange is one poll loop).
struct Pipe {
    common::UniqueFd read, write;
    [[nodiscard]] Status open() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            return errnoStatus(errno, "cannot start the probe compiler: pipe");
        read.reset(fds[0]);
        write.reset(fds[1]);
        return Status::OK();
    }
};

void setNonBlocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// SIGPIPE blocked in this thread while it writes to the compiler, and a pending one consumed:
// the caller must not die of a compiler that exited before reading its request.
class SigpipeBlocked {
  public:
    SigpipeBlocked() {
        ::sigemptyset(&pipe_);
        ::sigaddset(&pipe_, SIGPIPE);
        ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    }
    ~SigpipeBlocked() {
        timespec zero{};
        if (raised && !::sigismember(&old_, SIGPIPE))
            ::sigtimedwait(&pipe_, nullptr, &zero);
        ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeBlocked(const SigpipeBlocked &) = delete;
    SigpipeBlocked &operator=(const SigpipeBlocked &) = delete;
    bool raised = false;

  private:
    sigset_t pipe_, old_;
};

std::string seconds(milliseconds ms) {
    char text[32];
    std::snprintf(text, sizeof text, "%g s", static_cast<double>(ms.count()) / 1000.0);
    return text;
}

// One request/reply exchange with a running compiler: writes the request and reads the reply
// in one poll loop (neither side can block the other), within a deadline and size caps, until
// the compiler exits.
class Exchange {
  public:
    Exchange(const ChildGroup &child, int in, int out, const CompileLimits &limits, std::string who)
        : child_(child), limits_(limits), who_(std::move(who)) {
        in_.reset(in);
        out_.reset(out);
        setNonBlocking(in);
        setNonBlocking(out);
    }
    [[nodiscard]] Status run(const std::string &request);
    std::string reply;
    // The whole announced reply arrived and the compiler closed its stdout before exiting: the
    // reply is final, its exit need not be waited for (see compileInChildProcess).
    bool ended_early = false;

  private:
    const ChildGroup &child_;
    const CompileLimits &limits_;
    std::string who_; // "FILE: PATH (pid N)"
    common::UniqueFd in_, out_;
    const std::string *request_ = nullptr;
    size_t written_ = 0, scanned_ = 0, expected_ = std::string::npos;
    SigpipeBlocked sigpipe_;

    Status fail(int code, const std::string &what) const {
        return Status(code, who_ + ": " + what);
    }
    bool complete() const { return expected_ != std::string::npos && reply.size() == expected_; }
    void writeSome();
    [[nodiscard]] Status readSome();
    [[nodiscard]] Status accept(const char *data, size_t n);
    [[nodiscard]] Status pollOnce(Clock::time_point deadline, bool &exited);
};

void Exchange::writeSome() {
    size_t left = request_->size() - written_;
    ssize_t n = ::write(in_.get(), request_->data() + written_, std::min<size_t>(left, 1 << 16));
    if (n > 0)
        written_ += static_cast<size_t>(n);
    else if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    else
        sigpipe_.raised = sigpipe_.raised || errno == EPIPE; // it stopped reading: its exit
                                                             // status tells why
    if (n <= 0 || written_ == request_->size())
        in_.reset(); // EOF ends the request
}

// Appends to the reply. The header line announces the body's size: once read, the reply may
// not grow past it, and before it the header itself is capped.
Status Exchange::accept(const char *data, size_t n) {
    reply.append(data, n);
    if (expected_ == std::string::npos) {
        size_t newline = reply.find('\n', scanned_);
        scanned_ = reply.size();
        if (newline == std::string::npos)
            return reply.size() > limits_.reply.max_header
                       ? fail(EFBIG, "reply header exceeds the " +
                                         std::to_string(limits_.reply.max_header >> 20) +
                                         " MiB cap; killed")
                       : Status::OK();
        Result<size_t> body = frontend::replyBodySize(reply.substr(0, newline), limits_.reply);
        if (!body.ok())
            return fail(EFBIG, body.status().msg() + "; killed");
        expected_ = newline + 1 + *body; // no overflow: body <= max_total
        reply.reserve(expected_);
    }
    if (reply.size() > expected_)
        return fail(EPROTO, "sent more than the " + std::to_string(expected_) +
                                " bytes its reply header announced; killed");
    return Status::OK();
}

// Reads what is available now (to EAGAIN or end of file).
Status Exchange::readSome() {
    char buffer[1 << 16];
    while (out_.valid()) {
        ssize_t n = ::read(out_.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return Status::OK();
        if (n <= 0) {
            out_.reset();
            return n == 0 ? Status::OK() : errnoStatus(errno, who_ + ": reading its reply");
        }
        if (Status s = accept(buffer, static_cast<size_t>(n)); !s.ok())
            return s;
    }
    return Status::OK();
}

// One poll: writes, reads, and EXITED when the child has exited. Waits at most 100 ms when a
// cancel callback must be polled or there is no pidfd to wake on the child's exit.
Status Exchange::pollOnce(Clock::time_point deadline, bool &exited) {
    pollfd fds[3];
    nfds_t n = 0;
    if (in_.valid())
        fds[n++] = {in_.get(), POLLOUT, 0};
    if (out_.valid())
        fds[n++] = {out_.get(), POLLIN, 0};
    if (child_.exitFd() >= 0)
        fds[n++] = {child_.exitFd(), POLLIN, 0};
    auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
    if (limits_.cancelled || child_.exitFd() < 0)
        left = std::min(left, milliseconds(100));
    if (::poll(fds, n, static_cast<int>(std::max<long>(left.count(), 0))) < 0)
        return errno == EINTR ? Status::OK() : errnoStatus(errno, who_ + ": poll");
    for (nfds_t i = 0; i < n; i++) {
        if (!fds[i].revents)
            continue;
        if (fds[i].fd == in_.get())
            writeSome();
        else if (fds[i].fd == out_.get()) {
            if (Status s = readSome(); !s.ok())
                return s;
        } else
            exited = true;
    }
    exited = exited || (child_.exitFd() < 0 && child_.exited());
    return Status::OK();
}

Status Exchange::run(const std::string &request) {
    request_ = &request;
    auto deadline = Clock::now() + limits_.timeout;
    for (bool exited = false;;) {
        if (limits_.cancelled && limits_.cancelled())
            return fail(EINTR, "interrupted; killed");
        if (Clock::now() >= deadline)
            return fail(ETIMEDOUT, "no reply within " + seconds(limits_.timeout) + "; killed");
        if (Status s = pollOnce(deadline, exited); !s.ok())
            return s;
        // Whatever it wrote before exiting is in the pipe now; a descendant still holding the
        // pipe open must not keep us waiting for an end of file.
        if (exited)
            return readSome();
        if (!out_.valid() && complete()) {
            ended_early = true;
            return Status::OK();
        }
    }
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

// The compiler closes its stdout right after its reply and then exits; unmapping its ~50 MiB
// takes ~1 ms (measured: reply written to child reaped 1-2 ms), which the caller need not wait
// for. A thread kills what is left of the group and reaps it.
void reapInBackground(ChildGroup child) {
    try {
        std::thread([c = std::move(child)]() mutable { (void)c.reap(); }).detach();
    } catch (const std::system_error &) {
        // No thread: the ChildGroup it was to own has been destroyed, which reaped it here.
    }
}

} // namespace

Result<milliseconds> compileTimeout(milliseconds option) {
    if (option.count() > 0)
        return option;
    const char *env = std::getenv("JITPROBE_COMPILE_TIMEOUT");
    if (!env || !*env)
        return kDefaultCompileTimeout;
    char *end = nullptr;
    double s = std::strtod(env, &end);
    if (*end != '\0' || !(s > 0) || s > 1e6) // 1e6 s: ~11 days, far below poll()'s int range
        return Status(EINVAL, std::string("JITPROBE_COMPILE_TIMEOUT='") + env +
                                  "': not a positive number of seconds");
    return milliseconds(static_cast<long>(std::ceil(s * 1000)));
}

Status compileInChildProcess(const std::string &source, const frontend::CompileOptions &options,
                             frontend::CompileResult &result, const CompileLimits &limits) {
    Result<std::string> path = CompilerLocator::find();
    if (!path.ok())
        return Status(path.status().code(), options.file_name + ": " + path.status().msg());
    Pipe in, out;
    if (Status s = in.open(); !s.ok())
        return withContext(s, options.file_name);
    if (Status s = out.open(); !s.ok())
        return withContext(s, options.file_name);
    Result<ChildGroup> child =
        ChildGroup::spawn(*path, in.read.get(), out.write.get(), limits.cache_dir_fd);
    if (!child.ok())
        return Status(child.status().code(),
                      options.file_name + ": the probe compiler: " + child.status().msg());
    in.read.reset();
    out.write.reset();
    std::string who =
        options.file_name + ": " + *path + " (pid " + std::to_string(child->pid()) + ")";
    Exchange exchange(*child, in.write.release(), out.read.release(),
                      limits, who);
    frontend::CompileOptions sent = options;
    if (limits.cache_dir_fd >= 0)
        sent.cache_dir = "/proc/self/fd/" + std::to_string(ChildGroup::kExtraFd);
    if (Status s = exchange.run(frontend::encodeCompileRequest(source, sent)); !s.ok())
        return s; // ~ChildGroup kills the group and reaps
    if (exchange.ended_early) {
        reapInBackground(std::move(*child));
        return readReply(exchange.reply, options.file_name, result);
    }
    int status = child->reap();
    bool replied = WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 2);
    return replied ? readReply(exchange.reply, options.file_name, result)
                   : childStatus(status, options.file_name, *path);
}

} // namespace jitprobe::detail
