// Finding (and if needed mounting) tracefs. libbpf needs it for tracepoint ids and legacy probe
// events, the frontend for tracepoint format files, TracePipe for bpf_trace_printk output.
// This host does not mount it at boot.
#pragma once
#include "jitprobe/Status.h"

#include <string>
#include <vector>

namespace jitprobe::detail {

class Tracefs {
  public:
    // Returns the tracefs root ("/sys/kernel/tracing" or "/sys/kernel/debug/tracing"), mounting
    // tracefs at /sys/kernel/tracing when no mounted one is found. Thread-safe; the successful
    // result is remembered for the process.
    static Result<std::string> ensureMounted();

    // True when DIR is a mounted tracefs (it has an "events" directory).
    static bool looksMounted(const std::string &dir);

};

} // namespace jitprobe::detail
