// PrintkStream: a private tracefs instance whose trace_pipe carries only bpf_trace_printk.
#include "ScriptParts.h"
#include "attach/Tracefs.h"
#include "jitprobe/TracePipe.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

namespace jitprobe {
namespace {
bool writeFile(const std::string &path, const std::string &text) {
    std::ofstream out(path);
    out << text;
    return static_cast<bool>(out.flush());
}
std::atomic<unsigned> g_instance_counter{0};

// Instances left by jitprobe processes that died without cleaning up (SIGKILL, crash).
void removeStaleInstances(const std::string &instances_dir) {
    DIR *dir = opendir(instances_dir.c_str());
    if (!dir)
        return;
    while (dirent *e = readdir(dir)) {
        int pid = 0;
        if (std::sscanf(e->d_name, "jitprobe-%d-", &pid) != 1 || pid <= 0)
            continue;
        if (kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        std::string path = instances_dir + "/" + e->d_name;
        writeFile(path + "/events/bpf_trace/bpf_trace_printk/enable", "0");
        rmdir(path.c_str());
    }
    closedir(dir);
}
} // namespace

PrintkStream::~PrintkStream() {
    if (fd_ >= 0)
        close(fd_);
    if (!instance_dir_.empty()) {
        writeFile(instance_dir_ + "/events/bpf_trace/bpf_trace_printk/enable", "0");
        rmdir(instance_dir_.c_str()); // tracefs removes the whole instance
    }
}

Status PrintkStream::open() {
    auto root = detail::Tracefs::ensureMounted();
    if (!root.ok())
        return root.status();
    removeStaleInstances(*root + "/instances");
    std::string dir = *root + "/instances/jitprobe-" + std::to_string(getpid()) + "-" +
                      std::to_string(g_instance_counter++);
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return Status(errno, "cannot create tracefs instance " + dir + ": " + std::strerror(errno));
    instance_dir_ = dir;
    if (!writeFile(dir + "/events/bpf_trace/bpf_trace_printk/enable", "1"))
        return Status(EIO, "cannot enable bpf_trace_printk events in " + dir);
    fd_ = ::open((dir + "/trace_pipe").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0)
        return Status(errno, "cannot open " + dir + "/trace_pipe: " + std::strerror(errno));
    return Status::OK();
}

std::vector<std::string> PrintkStream::read(int timeout_ms) {
    std::vector<std::string> messages;
    if (fd_ < 0)
        return messages;
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0)
        return messages;
    char buf[8192];
    ssize_t n;
    while ((n = ::read(fd_, buf, sizeof buf)) > 0)
        partial_.append(buf, static_cast<std::size_t>(n));
    std::size_t start = 0, nl;
    while ((nl = partial_.find('\n', start)) != std::string::npos) {
        std::string line = partial_.substr(start, nl - start);
        start = nl + 1;
        TraceLine parsed;
        if (TraceLine::parse(line, parsed))
            messages.push_back(parsed.msg);
        else if (auto tag = line.find("bpf_trace_printk: "); tag != std::string::npos)
            messages.push_back(line.substr(tag + 18));
    }
    partial_.erase(0, start);
    return messages;
}

} // namespace jitprobe
