// The tracepoints a probe source refers to, found before Clang parses it: their args structs
// (from tracefs) must be in the prelude, and an unknown one is reported at the user's line.
#pragma once
#include <string>
#include <vector>

namespace jitprobe::frontend {

struct TracepointUse {
    std::string category, event;
    unsigned line = 0, column = 0; // 1-based, of the first use
};

// TRACEPOINT_PROBE(cat, ev) uses and identifiers tracepoint__CAT__EV (struct tags, function
// names), outside comments and string/char literals; one entry per tracepoint, in source order.
std::vector<TracepointUse> findTracepointUses(const std::string &source);

} // namespace jitprobe::frontend
