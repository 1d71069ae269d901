// decode=LABEL:kstack|ustack: stack ids in map keys -> folded frames "outer;...;inner", done on
// the thread that polls the script (the stack table and the symbolizer are not thread-safe).
#pragma once
#include "script/MetricDirectives.h"

#include "jitprobe/Output.h"

#include <cstddef>
#include <string>
#include <vector>

namespace jitprobe {
class BPF;
}

namespace jitprobe::metrics {

inline constexpr std::size_t kMaxStackFrames = 64;       // innermost kept; "...;" marks a cut
inline constexpr std::size_t kMaxStackLabelBytes = 2048; // the inner end kept

// FRAMES (innermost first) as "outer;...;inner"; CUT (outer frames were left out) starts it
// with "...;"; longer than kMaxStackLabelBytes, its outer end is cut to "...".
std::string fold_frames(const std::vector<std::string> &frames, bool cut);

// Whether any directive decodes a stack or an address (only then is the symbolizer loaded).
bool decodes_stacks(const MetricDirectives &directives);

// Replaces, in the keys of RECORDS' maps, each stack id a directive decodes (a top-level key
// member, or the whole integer key) by its folded frames from the source's first
// BPF_STACK_TRACE map: kernel addresses by ksym, user ones in the key's tgid (else pid). Each
// (kind, pid, id) is symbolized once per call. ksym/usym: an address member -> its function
// (ksym/sym of jitprobe/BPF.h), "[unknown]" when no symbol covers it. A negative id (bpf_get_stackid failed) is
// "[missed stack]"; an id no longer in the table "[stack N: not captured]".
void fold_stack_labels(std::vector<Record> &records, const MetricDirectives &directives, BPF &bpf);

} // namespace jitprobe::metrics
