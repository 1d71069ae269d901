// Wildcard attach targets (issue 16): "syscalls:sys_enter_*", "tcp_*", "/lib/x.so:str*" expanded
// into one target each, with a limit so a pattern cannot silently attach thousands of probes.
#pragma once
#include "jitprobe/Status.h"
#include "jitprobe/common/ElfFile.h"

#include <cstddef>
#include <string>
#include <vector>

namespace jitprobe::detail {

// bpftrace's default max_probes is 1024; a pattern above this is almost always a mistake.
constexpr std::size_t kMaxWildcardTargets = 1000;

// True when TEXT has a glob character ('*', '?', '[').
bool isWildcard(const std::string &text);

// EINVAL naming KIND, PATTERN and COUNT when COUNT is 0 or above LIMIT.
[[nodiscard]] Status checkMatchCount(const std::string &kind, const std::string &pattern,
                                     std::size_t count, std::size_t limit);

// The tracepoints ("cat:event") / kernel functions matching PATTERN, sorted, at most LIMIT.
[[nodiscard]] Result<std::vector<std::string>> expandTracepoints(const std::string &pattern,
                                                                 std::size_t limit);
[[nodiscard]] Result<std::vector<std::string>> expandKernelFunctions(const std::string &pattern,
                                                                     std::size_t limit);
// Selects the names matching PATTERN from NAMES (the testable core of the two above).
[[nodiscard]] Result<std::vector<std::string>> matchNames(const std::string &kind,
                                                          const std::string &pattern,
                                                          const std::vector<std::string> &names,
                                                          std::size_t limit);

// Functions defined in FILE whose names match PATTERN (versions stripped), one name per address.
[[nodiscard]] Result<std::vector<std::string>> expandFunctionSymbols(const common::ElfFile &file,
                                                                     const std::string &pattern,
                                                                     std::size_t limit);

} // namespace jitprobe::detail
