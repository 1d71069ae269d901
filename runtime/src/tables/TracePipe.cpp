// bpf_trace_printk output from tracefs' trace_pipe.
#include "jitprobe/TracePipe.h"
#include "PrintkRing.h"

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

TracePipe::TracePipe() = default;
TracePipe::~TracePipe() { close(); }

void TracePipe::close() {
    ring_.reset();
    lost_ = 0;
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
    : ring_(std::move(other.ring_)), fd_(std::exchange(other.fd_, -1)),
      lost_(std::exchange(other.lost_, 0)), partial_(std::move(other.partial_)),
      instance_dir_(std::move(other.instance_dir_)) {
    other.instance_dir_.clear();
}

TracePipe &TracePipe::operator=(TracePipe &&other) noexcept {
    if (this != &other) {
        close();
        ring_ = std::move(other.ring_);
        lost_ = std::exchange(other.lost_, 0);
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
    if (is_open())
        return Status::OK();
    auto root = detail::Tracefs::ensureMounted();
    if (!root.ok())
        return root.status();
    return open_pipe(root.value() + "/trace_pipe");
}

Status TracePipe::open_private() {
    if (is_open())
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

namespace {
// Newlines in a private message are escaped: a read_lines line is always one record.
std::string privateLine(const TraceLine &t) {
    std::string msg;
    for (char c : t.msg)
        msg += c == '\n' ? std::string("\\n") : c == '\r' ? std::string("\\r") : std::string(1, c);
    char head[96];
    std::snprintf(head, sizeof head, "%16s-%-7d [%03d] ..... %12.6f: ", t.task.c_str(), t.pid,
                  t.cpu, t.timestamp);
    return head + std::string("bpf_trace_printk: ") + msg;
}

// "CPU:3 [LOST 120 EVENTS]": the kernel overwrote lines nobody read in time.
bool lostLine(const std::string &line, std::uint64_t &count) {
    auto at = line.find("[LOST ");
    unsigned long long n = 0;
    if (!line.starts_with("CPU:") || at == std::string::npos ||
        std::sscanf(line.c_str() + at, "[LOST %llu EVENTS]", &n) != 1)
        return false;
    count += n;
    return true;
}
constexpr std::size_t kMaxReadBytes = 64 * 1024; // per read_lines call: a flood is batched
} // namespace

Result<std::vector<std::string>> TracePipe::read_lines(int timeout_ms) {
    if (ring_) {
        auto fields = read_ring(timeout_ms);
        if (!fields.ok())
            return fields.status();
        std::vector<std::string> lines;
        for (const auto &t : fields.value())
            lines.push_back(privateLine(t));
        return lines;
    }
    if (fd_ < 0)
        return Status(EBADF, "trace pipe is not open");
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
        return detail::errnoStatus(errno, "poll on trace_pipe failed");
    char buf[16384];
    for (std::size_t total = 0; total < kMaxReadBytes;) {
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n > 0) {
            partial_.append(buf, static_cast<size_t>(n));
            total += static_cast<std::size_t>(n);
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
        if (nl > start && nl - start > kMaxLineBytes)
            ++lost_;
        else if (nl > start && !lostLine(partial_.substr(start, nl - start), lost_))
            lines.push_back(partial_.substr(start, nl - start));
    partial_.erase(0, start);
    if (partial_.size() > kMaxLineBytes) { // a line without end: drop what we have of it
        partial_.clear();
        ++lost_;
    }
    return lines;
}

Result<std::vector<TraceLine>> TracePipe::read_fields(int timeout_ms) {
    if (ring_)
        return read_ring(timeout_ms);
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
