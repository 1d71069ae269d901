// BCC gives TRACEPOINT_PROBE / tracepoint__CAT__EV functions an `args` struct laid out from the
// tracepoint's tracefs format file. Syscall tracepoints have no per-event BTF type, so that file
// is the only source of their layout; this reads it and prints the matching C struct.
#pragma once
#include <string>
#include <vector>

namespace jitprobe::frontend {

struct TracepointField {
    std::string type; // as declared, array dimensions appended: "char[16]", "const char *",
                      // "__data_loc char[]"
    std::string name; // bare identifier: "prev_comm"
    unsigned offset = 0, size = 0;
    bool is_signed = false;
    bool data_loc = false; // __data_loc: a u32 (len << 16 | offset into the record)
};

struct TracepointFormat {
    std::string category, event;
    std::vector<TracepointField> fields; // in file order (common_* fields included)
};

// Reads TRACEFS/events/CAT/EV/format. Errors name the tracepoint and suggest close names.
bool readTracepointFormat(const std::string &tracefs, const std::string &cat,
                          const std::string &ev, TracepointFormat &out, std::string &error);

// Parses the text of a format file. Sets out.event from its "name:" line; leaves category.
bool parseTracepointFormat(const std::string &text, TracepointFormat &out, std::string &error);

// `struct tracepoint__CAT__EV { ... };` with members at the format's offsets. Uses only C base
// types and typedefs present in every vmlinux.h; anything else becomes an integer or char array of
// the field's size. No includes; meant for a prelude after vmlinux.h.
std::string tracepointStructDefinition(const TracepointFormat &format);

// Close existing names for a tracepoint that was not found: event names of the same category when
// the category exists ("sys_enter_openat"), else "CAT:EVENT" names.
std::vector<std::string> suggestTracepoints(const std::string &tracefs, const std::string &cat,
                                            const std::string &ev);

} // namespace jitprobe::frontend
