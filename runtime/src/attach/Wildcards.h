// Wildcard attach targets (issue 16): "syscalls:sys_enter_*", "tcp_*", "/lib/x.so:str*" expanded
// into one target each, with a limit so a pattern cannot silently attach thousands of probes.
#pragma once
#include "jitprobe/Status.h"
#include "jitprobe/common/ElfFile.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace jitprobe::detail {

// bpftrace's default max_probes is 1024; a pattern above this is almost always a mistake.
constexpr std::size_t kMaxWildcardTargets = 1000;

// True when TEXT has a glob character ('*', '?', '[').
bool isWildcard(const std::string &text);

// ENOENT / E2BIG naming KIND, PATTERN (quoted by the caller if it wants) and COUNT when COUNT is
// 0 or above LIMIT.
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

// A name test: a shell glob (the @attach form) or an ECMAScript regex (BCC's event_re=/sym_re=).
struct NameMatcher {
    std::string text; // how errors name it: "'tcp_*'" or "regex 'tcp_.*'"
    std::function<bool(const std::string &)> matches;
};
NameMatcher globMatcher(const std::string &glob);
// BCC's Python matches with re.match: anchored at the start of the name, not at its end. EINVAL
// (naming the regex and why) when RE does not compile.
[[nodiscard]] Result<NameMatcher> regexMatcher(const std::string &re);

[[nodiscard]] Result<std::vector<std::string>> matchNames(const std::string &kind,
                                                          const NameMatcher &matcher,
                                                          const std::vector<std::string> &names,
                                                          std::size_t limit);
[[nodiscard]] Result<std::vector<std::string>> expandTracepoints(const NameMatcher &matcher,
                                                                 std::size_t limit);
[[nodiscard]] Result<std::vector<std::string>> expandKernelFunctions(const NameMatcher &matcher,
                                                                     std::size_t limit);
struct FunctionTarget {
    std::string name;
    uint64_t address = 0; // ELF virtual address
};
// Functions defined in FILE matching MATCHER, one per address, sorted by name.
[[nodiscard]] Result<std::vector<FunctionTarget>>
expandFunctionTargets(const common::ElfFile &file, const NameMatcher &matcher, std::size_t limit);

} // namespace jitprobe::detail
