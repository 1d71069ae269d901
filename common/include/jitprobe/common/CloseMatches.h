// "did you mean ...?" suggestions for names the user got slightly wrong (tracepoints, kinds).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace jitprobe::common {

// Optimal-string-alignment (Damerau) distance: edits, with adjacent swaps counting as one.
std::size_t editDistance(const std::string &a, const std::string &b);

// Candidates within a plausible distance of `wanted` (about a quarter of its length, at least
// one edit), best first (ties by name), at most `max`. Exact matches are not suggestions.
std::vector<std::string> closeMatches(const std::string &wanted,
                                      const std::vector<std::string> &candidates,
                                      std::size_t max = 3);

// " (did you mean 'a', 'b' or 'c'?)" for MATCHES, or "" when there are none.
std::string didYouMean(const std::vector<std::string> &matches);

} // namespace jitprobe::common
