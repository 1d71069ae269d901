// BCC gives TRACEPOINT_PROBE / tracepoint__CAT__EV functions an `args` struct laid out from the
// tracepoint's tracefs format file. Syscall tracepoints have no per-event BTF type, so that file
// is the only source of their layout; common::readTracepointFormat reads it, this prints the
// matching C struct.
#pragma once
#include "jitprobe/common/Tracepoints.h"

#include <string>

namespace jitprobe::frontend {

using common::TracepointField;
using common::TracepointFormat;

// `struct tracepoint__CAT__EV { ... };` with members at the format's offsets. Uses only C base
// types and typedefs present in every vmlinux.h; anything else becomes an integer or char array of
// the field's size. No includes; meant for a prelude after vmlinux.h.
std::string tracepointStructDefinition(const TracepointFormat &format);

} // namespace jitprobe::frontend
