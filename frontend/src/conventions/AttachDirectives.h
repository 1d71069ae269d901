// `// @attach KIND:TARGET -> FUNCTION` comments: how a probe script names attach points that BCC
// would set up from Python (uprobes, perf events) while staying valid BCC C.
#pragma once
#include "jitprobe/frontend/Diagnostic.h"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace jitprobe::frontend {

struct AttachDirective {
    std::string kind;     // uprobe, uretprobe, perf_event, tracepoint, raw_tracepoint, kprobe,
                          // kretprobe, usdt
    std::string target;   // everything after "KIND:", e.g. "/lib/x86_64-linux-gnu/libc.so.6:malloc"
    std::string function; // the C function to attach
    unsigned line = 0;    // 1-based
};

// Every directive in source order. A malformed one adds an Error diagnostic at its '@' (with the
// source line and the expected form as hint) and is left out. Whether FUNCTION exists is not
// checked here.
std::vector<AttachDirective> parseAttachDirectives(const std::string &source,
                                                   const std::string &file_name,
                                                   std::vector<Diagnostic> &diags);

// Calls FN with each line of SOURCE (without its newline or a trailing '\r') and its 1-based
// number: the directive parsers' walk.
void forEachSourceLine(const std::string &source, const std::function<void(const std::string &, unsigned)> &fn);

// Column (0-based) of '@' when LINE is a comment of its own starting with directive NAME
// ("@attach"), followed by a blank or the end; npos otherwise.
std::size_t directiveAt(const std::string &line, std::string_view name);

} // namespace jitprobe::frontend
