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

// One field of a tracepoint's record, from its tracefs format file ("const char *" "filename").
struct TracepointField {
    std::string type; // as declared, array dimensions appended: "char[16]", "__data_loc char[]"
    std::string name;
    unsigned offset = 0, size = 0;
    bool is_signed = false;
};

// The fields of tracepoint NAME ("CAT:EVENT"), common_* fields included, in record order.
// Errors name the tracepoint and suggest close names.
[[nodiscard]] Result<std::vector<TracepointField>> tracepoint_fields(const std::string &name);

// Whether kprobes can be created on this kernel: its perf "kprobe" event source exists (absent
// when the kernel is built without CONFIG_KPROBES).
[[nodiscard]] bool kprobes_supported();

} // namespace jitprobe
