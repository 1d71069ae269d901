// The tracepoints a tracefs offers, by one rule for the frontend (suggestions for a misspelled
// TRACEPOINT_PROBE), the runtime (attach errors) and `jitprobe list tracepoints`.
#pragma once
#include <string>
#include <vector>

namespace jitprobe::common {

// "CAT:EVENT" for every TRACEFS/events/CAT/EVENT directory that has a format file (what can be
// attached and typed), sorted. Empty when TRACEFS has no events directory.
[[nodiscard]] std::vector<std::string> listTracepoints(const std::string &tracefs);

} // namespace jitprobe::common
