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

// The fentry/fexit/fmod_ret/LSM target libbpf could not find in the kernel's BTF for program
// PROG ("prog 'P': failed to find kernel BTF type ID of 'F'" in its log), or "" if none: a
// function newer than the running kernel, a module's, or one it does not build.
std::string missingAttachTarget(const std::string &libbpf_log, const std::string &prog);

} // namespace jitprobe::detail
