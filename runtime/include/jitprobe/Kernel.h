// What this kernel offers to attach to: tracepoints and traceable functions, as
// `jitprobe list` prints them. Both mount tracefs at /sys/kernel/tracing when nothing is mounted
// (needs CAP_SYS_ADMIN).
#pragma once
#include "jitprobe/Status.h"

#include <string>
#include <vector>

namespace jitprobe {

// "CAT:EVENT" names of every tracepoint with a format file, sorted; GLOB (fnmatch, "" = all)
// filters them.
[[nodiscard]] Result<std::vector<std::string>> list_tracepoints(const std::string &glob = "");

// Functions kprobes can attach to (tracefs available_filter_functions, else the text symbols
// of /proc/kallsyms), sorted and unique; GLOB filters them.
[[nodiscard]] Result<std::vector<std::string>> list_kernel_functions(const std::string &glob = "");

} // namespace jitprobe
