// bpf_trace_printk output from tracefs' trace_pipe.
#include "jitprobe/TracePipe.h"

#include "jitprobe/common/Errors.h"
#include "attach/Tracefs.h"
#include "jitprobe/common/UniqueFd.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace jitprobe {

// "  <task>-<pid>  [<cpu>] <flags> <timestamp>: <tag>: <msg>"; task names may contain '-' and
// spaces, so the pid is taken from the last '-' before the "[cpu]" field.
bool TraceLine::parse(const std::string &line, TraceLine &out) {
    auto open = line.find(" [");
    auto close = open == std::string::npos ? open : line.find(']', open);
    if (close == std::string::npos)
        return false;
    std::string head = line.substr(0, open);
    auto dash = head.rfind('-');
    if (dash == std::string::npos)
        return false;
    size_t start = head.find_first_not_of(' ');
    TraceLine t;
    t.task = head.substr(start, dash - start);
    t.pid = std::atoi(head.c_str() + dash + 1);
    t.cpu = std::atoi(line.c_str() + open + 2);
    auto colon = line.find(": ", close);
    if (colon == std::string::npos)
        return false;
    // Between "]" and ": " come the optional flags ("d..31") and the timestamp.
    std::string mid = line.substr(close + 1, colon - close - 1);
    auto ts_start = mid.find_last_of(' ');
    t.timestamp = std::atof(mid.c_str() + (ts_start == std::string::npos ? 0 : ts_start + 1));
    if (ts_start != std::string::npos) {
        std::string flags = mid.substr(0, ts_start);
        size_t f = flags.find_first_not_of(' ');
        t.flags = f == std::string::npos ? "" : flags.substr(f);
    }
    std::string rest = line.substr(colon + 2);
    const std::string tag = "bpf_trace_printk: ";
    if (rest.starts_with(tag))
        rest = rest.substr(tag.size());
    else if (auto tag_end = rest.find(": "); tag_end != std::string::npos &&
                                              rest.find(' ') == tag_end + 1)
        rest = rest.substr(tag_end + 2); // other tags, e.g. "<...>: "
    t.msg = rest;
    out = std::move(t);
    return true;
}

namespace {
bool writeText(const std::string &path, const char *text) {
    common::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd)
        return false;
    size_t len = std::strlen(text);
    return ::write(fd.get(), text, len) == static_cast<ssize_t>(len);
}
std::atomic<unsigned> instance_counter{0};
} // namespace

TracePipe::~TracePipe() { close(); }

void TracePipe::close() {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
    partial_.clear();
    if (!instance_dir_.empty()) {
        writeText(instance_dir_ + "/events/bpf_trace/bpf_trace_printk/enable", "0");
        ::rmdir(instance_dir_.c_str()); // tracefs removes the whole instance
        instance_dir_.clear();
    }
}

TracePipe::TracePipe(TracePipe &&other) noexcept
    : fd_(std::exchange(other.fd_, -1)), partial_(std::move(other.partial_)),
      instance_dir_(std::move(other.instance_dir_)) {
    other.instance_dir_.clear();
}

TracePipe &TracePipe::operator=(TracePipe &&other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        partial_ = std::move(other.partial_);
        instance_dir_ = std::exchange(other.instance_dir_, std::string());
    }
    return *this;
}

Status TracePipe::open_pipe(const std::string &path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0)
        return detail::errnoStatus(errno, "cannot open " + path);
    return Status::OK();
}

Status TracePipe::open() {
    if (fd_ >= 0)
        return Status::OK();
    auto root = detail::Tracefs::ensureMounted();
    if (!root.ok())
        return root.status();
    return open_pipe(root.value() + "/trace_pipe");
}

Status TracePipe::open_private() {
    if (fd_ >= 0)
        return Status::OK();
    auto root = detail::Tracefs::ensureMounted();
    if (!root.ok())
        return root.status();
    std::string dir = root.value() + "/instances/jitprobe-" + std::to_string(::getpid()) + "-" +
                      std::to_string(instance_counter++);
    if (::mkdir(dir.c_str(), 0700) != 0)
        return detail::errnoStatus(errno, "cannot create tracefs instance " + dir);
    instance_dir_ = dir;
    std::string enable = dir + "/events/bpf_trace/bpf_trace_printk/enable";
    if (!writeText(enable, "1")) {
        Status s = detail::errnoStatus(errno, "cannot enable bpf_trace_printk in " + enable);
        close();
        return s;
    }
    Status s = open_pipe(dir + "/trace_pipe");
    if (!s.ok())
        close();
    return s;
}

Result<std::vector<std::string>> TracePipe::read_lines(int timeout_ms) {
    if (fd_ < 0)
        return Status(EBADF, "trace pipe is not open");
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
        return detail::errnoStatus(errno, "poll on trace_pipe failed");
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n > 0) {
            partial_.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return detail::errnoStatus(errno, "read from trace_pipe failed");
        break;
    }
    std::vector<std::string> lines;
    size_t start = 0;
    // Messages that end in '\n' come out followed by an empty line: skip those.
    for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1)
        if (nl > start)
            lines.push_back(partial_.substr(start, nl - start));
    partial_.erase(0, start);
    return lines;
}

Result<std::vector<TraceLine>> TracePipe::read_fields(int timeout_ms) {
    auto lines = read_lines(timeout_ms);
    if (!lines.ok())
        return lines.status();
    std::vector<TraceLine> out;
    for (const auto &line : lines.value()) {
        TraceLine t;
        if (!TraceLine::parse(line, t))
            t.msg = line;
        out.push_back(std::move(t));
    }
    return out;
}

} // namespace jitprobe
