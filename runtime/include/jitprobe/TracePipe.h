// bpf_trace_printk output (BCC: trace_read / trace_fields).
//
// By default jitprobe's probes do not write to tracefs at all: their bpf_trace_printk calls
// are compiled into records on a hidden ring buffer of their own object, formatted here
// (open(bpf)). That stream is private to the BPF object and a printed string cannot forge a
// second line. The host's trace_pipe (open(), open_private()) is only for probes built with
// JITPROBE_TRACE_PIPE_PRINTK or other tools' output: it is global to the machine, consuming
// (lines read here are gone for other readers) and anything printed can imitate a line.
#pragma once
#include "jitprobe/Status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace jitprobe {

class BPF;

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
    TracePipe();
    ~TracePipe();
    TracePipe(const TracePipe &) = delete;
    TracePipe &operator=(const TracePipe &) = delete;
    TracePipe(TracePipe &&other) noexcept;
    TracePipe &operator=(TracePipe &&other) noexcept;

    // The private printk stream of BPF's probes (their rewritten bpf_trace_printk calls);
    // EINVAL if no probe prints. Reads it with its own reader: open one per BPF object.
    Status open(const BPF &bpf);
    // Opens TRACEFS/trace_pipe non-blocking (mounting tracefs if needed). The global pipe is
    // shared: concurrent readers (other tools, other jitprobe processes) steal each other's lines.
    Status open();
    // Creates a private tracefs instance (TRACEFS/instances/jitprobe-PID-N) receiving only the
    // bpf_trace_printk event, and opens its trace_pipe: no other reader competes for its lines.
    // The instance is removed when this TracePipe is closed or destroyed.
    Status open_private();
    void close();
    bool is_open() const;
    // Waits up to TIMEOUT_MS for output, then returns the complete non-empty lines available
    // (possibly none), at most kMaxLinesPerRead: a flood is read in bounded batches. A partial
    // trailing line is kept for the next call. Private stream: trace_pipe-shaped lines whose
    // message has newlines escaped ("\\n").
    Result<std::vector<std::string>> read_lines(int timeout_ms);
    // read_lines, parsed; lines that do not parse are returned with only msg set.
    Result<std::vector<TraceLine>> read_fields(int timeout_ms);
    // Records lost since the last call: private stream, those the probe could not reserve
    // (ring buffer full); host trace_pipe, the kernel's "[LOST N EVENTS]" and lines longer
    // than kMaxLineBytes (dropped).
    std::uint64_t take_lost();
    int fd() const; // poll()able: readable when output is available
    static constexpr std::size_t kMaxLinesPerRead = 4096;
    static constexpr std::size_t kMaxLineBytes = 8192;

  private:
    struct Ring; // the private stream's reader
    std::unique_ptr<Ring> ring_;
    Status open_ring(int ring_fd, int lost_fd, const std::vector<std::string> &formats);
    Result<std::vector<TraceLine>> read_ring(int timeout_ms);
    int fd_ = -1;
    std::uint64_t lost_ = 0;
    std::string partial_;
    std::string instance_dir_; // private instance to remove on close, or ""
    Status open_pipe(const std::string &path);
};

} // namespace jitprobe
