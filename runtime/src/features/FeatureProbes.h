// The pieces of probe_system_features() (jitprobe/Features.h).
#pragma once
#include "jitprobe/Features.h"

#include <vector>

namespace jitprobe::detail {

// tracepoint, raw_tp, kprobe, kprobe.multi, uprobe, uprobe.multi, fentry, lsm, perf_event,
// socket, tc, xdp: loaded and attached for real, then detached.
std::vector<Feature> probeAttachTypes(bool has_kprobe_events);

} // namespace jitprobe::detail
