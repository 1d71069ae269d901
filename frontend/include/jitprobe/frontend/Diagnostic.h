// A problem in the user's probe source, located at the user's own file, line and column.
#pragma once
#include <string>
#include <vector>

namespace jitprobe::frontend {

struct SourceLocation {
    std::string file;
    unsigned line = 0;   // 1-based; 0 when the problem has no location
    unsigned column = 0; // 1-based; 0 when unknown
};

struct Diagnostic {
    enum class Severity { Note, Warning, Error };
    Severity severity = Severity::Error;
    SourceLocation loc;
    std::string message;
    std::string source_line; // the user's line, for the caret display
    std::string hint;        // e.g. "did you mean 'sys_enter_openat'?"

    // "file:line:col: error: message\n  source\n  ^\nhint: ..." (clang style)
    std::string str() const;
};

std::string formatDiagnostics(const std::vector<Diagnostic> &diags);
bool hasErrors(const std::vector<Diagnostic> &diags);

} // namespace jitprobe::frontend
