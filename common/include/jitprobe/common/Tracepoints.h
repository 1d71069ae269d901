// The tracepoints a tracefs offers and their format files, by one rule for the frontend (args
// structs, suggestions for a misspelled TRACEPOINT_PROBE), the runtime (attach errors) and
// `jitprobe list tracepoints [-v]`.
#pragma once
#include "jitprobe/Status.h"

#include <string>
#include <vector>

namespace jitprobe::common {

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
[[nodiscard]] Result<TracepointFormat> readTracepointFormat(const std::string &tracefs, const std::string &cat,
                                                            const std::string &ev);

// Parses the text of a format file. Sets event from its "name:" line; leaves category empty.
[[nodiscard]] Result<TracepointFormat> parseTracepointFormat(const std::string &text);

// Close existing names for a tracepoint that was not found: event names of the same category when
// the category exists ("sys_enter_openat"), else "CAT:EVENT" names.
[[nodiscard]] std::vector<std::string> suggestTracepoints(const std::string &tracefs, const std::string &cat,
                                                          const std::string &ev);

// "CAT:EVENT" for every TRACEFS/events/CAT/EVENT directory that has a format file (what can be
// attached and typed), sorted. Empty when TRACEFS has no events directory.
[[nodiscard]] std::vector<std::string> listTracepoints(const std::string &tracefs);

} // namespace jitprobe::common
