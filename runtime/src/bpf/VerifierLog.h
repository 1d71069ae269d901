// Picks the part of a (possibly huge) verifier log a user needs to see: the last lines, where the
// verifier states its complaint, plus the source line (" ; ... @ file:line") of the failing
// instruction when it scrolled out of that tail.
#pragma once
#include <string>

namespace jitprobe::detail {

// At most TAIL_LINES trailing non-empty lines of LOG, preceded by the last "; source" comment
// line if it is not among them. Lines are indented by two spaces.
std::string relevantVerifierLines(const std::string &log, size_t tail_lines = 20);

} // namespace jitprobe::detail
