// bpf_trace_printk output, read from tracefs' trace_pipe (BCC: trace_read / trace_fields).
// trace_pipe is global to the machine and consuming: lines read here are gone for other readers.
#pragma once
#include "jitprobe/Status.h"

#include <string>
#include <vector>

namespace jitprobe {

// One parsed trace_pipe line:
// "  <task>-<pid>  [<cpu>] <flags> <timestamp>: bpf_trace_printk: <msg>"
struct TraceLine {
    std::string task;
    int pid = 0;
    int cpu = 0;
    std::string flags;
    double timestamp = 0; // seconds
    std::string msg;      // text after "bpf_trace_printk: " (or after the "name:" tag)

    // False if LINE does not look like a trace_pipe record.
    static bool parse(const std::string &line, TraceLine &out);
};

class TracePipe {
  public:
    TracePipe() = default;
    ~TracePipe();
    TracePipe(const TracePipe &) = delete;
    TracePipe &operator=(const TracePipe &) = delete;
    TracePipe(TracePipe &&other) noexcept;
    TracePipe &operator=(TracePipe &&other) noexcept;

    // Opens TRACEFS/trace_pipe non-blocking (mounting tracefs if needed). The global pipe is
    // shared: concurrent readers (other tools, other jitprobe processes) steal each other's lines.
    Status open();
    // Creates a private tracefs instance (TRACEFS/instances/jitprobe-PID-N) receiving only the
    // bpf_trace_printk event, and opens its trace_pipe: no other reader competes for its lines.
    // The instance is removed when this TracePipe is closed or destroyed.
    Status open_private();
    void close();
    bool is_open() const { return fd_ >= 0; }
    // Waits up to TIMEOUT_MS for output, then returns every complete non-empty line available
    // (possibly none). A partial trailing line is kept for the next call.
    Result<std::vector<std::string>> read_lines(int timeout_ms);
    // read_lines, parsed; lines that do not parse are returned with only msg set.
    Result<std::vector<TraceLine>> read_fields(int timeout_ms);
    int fd() const { return fd_; }

  private:
    int fd_ = -1;
    std::string partial_;
    std::string instance_dir_; // private instance to remove on close, or ""
    Status open_pipe(const std::string &path);
};

} // namespace jitprobe
