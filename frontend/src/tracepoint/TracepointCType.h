// Turning a tracefs field type into a C member that compiles after any vmlinux.h and lands at
// the field's offset: format files spell types the BPF compiler may not know (xfs_ino_t,
// `void __seg_gs *`) and sometimes with a size that differs from the type (`int dfd`, size 8).
#pragma once
#include "tracepoint/TracepointFormat.h"

#include <string>

namespace jitprobe::frontend {

struct CMember {
    std::string decl;    // "const char * filename", "s64 dfd", "char prev_comm[16]"
    unsigned align = 1;  // natural alignment of the declared type
};

CMember tracepointMember(const TracepointField &field);

} // namespace jitprobe::frontend
