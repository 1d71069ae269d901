// Clang-style rendering of user-facing diagnostics.
#include "jitprobe/frontend/Diagnostic.h"

namespace jitprobe::frontend {

std::string Diagnostic::str() const {
    static const char *const names[] = {"note", "warning", "error"};
    std::string out;
    if (!loc.file.empty()) {
        out += loc.file;
        if (loc.line) {
            out += ":" + std::to_string(loc.line);
            if (loc.column)
                out += ":" + std::to_string(loc.column);
        }
        out += ": ";
    }
    out += names[static_cast<int>(severity)];
    out += ": " + message + "\n";
    if (!source_line.empty()) {
        out += "  " + source_line + "\n";
        if (loc.column) {
            std::string caret = "  ";
            for (unsigned i = 1; i < loc.column && i <= source_line.size(); ++i)
                caret += source_line[i - 1] == '\t' ? '\t' : ' ';
            out += caret + "^\n";
        }
    }
    if (!hint.empty())
        out += "  hint: " + hint + "\n";
    return out;
}

std::string formatDiagnostics(const std::vector<Diagnostic> &diags) {
    std::string out;
    for (const auto &d : diags)
        out += d.str();
    return out;
}

bool hasErrors(const std::vector<Diagnostic> &diags) {
    for (const auto &d : diags)
        if (d.severity == Diagnostic::Severity::Error)
            return true;
    return false;
}

} // namespace jitprobe::frontend
