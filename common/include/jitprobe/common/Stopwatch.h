// Elapsed wall time in milliseconds, for PhaseTimes and run deadlines.
#pragma once
#include <chrono>

namespace jitprobe::common {

using Clock = std::chrono::steady_clock;

[[nodiscard]] inline double msSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

} // namespace jitprobe::common
