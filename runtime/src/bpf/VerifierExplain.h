// Explains a verifier rejection in the user's terms: where (the user's file:line from the BTF
// line info the verifier prints as "; ... @ file.c:LINE"), what the verifier said, and a hint
// from a table of the rejections probe authors meet most.
#pragma once
#include <string>

namespace jitprobe::detail {

struct VerifierExplanation {
    std::string location; // "probe.c:11", empty if the log has no line info
    std::string source;   // the source text the verifier quoted, if any
    std::string reason;   // the verifier's own sentence, e.g. "R0 invalid mem access 'map_value_or_null'"
    std::string hint;     // what usually fixes it; empty if unknown
};

VerifierExplanation explainVerifierLog(const std::string &log);

// "probe.c:11: R0 invalid mem access ...\n  <source>\n  hint: ...\n" (empty if nothing found)
std::string formatExplanation(const VerifierExplanation &e);

} // namespace jitprobe::detail
