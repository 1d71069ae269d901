// BCC's hello_world, ported: every openat() prints a line through bpf_trace_printk, which this
// program reads back for ~2 seconds from the probe's private printk stream (jitprobe compiles
// bpf_trace_printk into records on a hidden ring buffer, not trace_pipe). Run as root.
#include "jitprobe/BPF.h"
#include "jitprobe/TracePipe.h"

#include <chrono>
#include <cstdio>

namespace {

const char *kProbe = R"(
TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    bpf_trace_printk("Hello, World! openat by %d\n", bpf_get_current_pid_tgid() >> 32);
    return 0;
}
)";

} // namespace

int main() {
    jitprobe::BPF bpf;
    jitprobe::InitOptions opts;
    opts.file_name = "hello_world.c";
    jitprobe::TracePipe pipe;
    jitprobe::Status s = bpf.init(kProbe, {}, opts);
    if (s.ok())
        s = pipe.open(bpf); // this object's printk records only
    if (s.ok())
        s = bpf.attach_all();
    if (!s.ok()) {
        std::fprintf(stderr, "hello_world: %s\n", s.msg().c_str());
        return 1;
    }
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < end) {
        auto lines = pipe.read_fields(100);
        if (!lines.ok()) {
            std::fprintf(stderr, "hello_world: %s\n", lines.status().msg().c_str());
            return 1;
        }
        for (const auto &line : lines.value())
            std::printf("%-16s %-7d %s\n", line.task.c_str(), line.pid, line.msg.c_str());
    }
    return 0;
}
