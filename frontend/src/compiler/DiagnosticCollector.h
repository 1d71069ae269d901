// Turns Clang diagnostics into jitprobe Diagnostics at the user's own file, line and column,
// and rewords the ones the dialect causes (a missing map method names the map and its methods).
#pragma once
#include "jitprobe/frontend/Diagnostic.h"

#include <clang/Basic/Diagnostic.h>

#include <string>
#include <vector>

namespace jitprobe::frontend {

class DiagnosticCollector : public clang::DiagnosticConsumer {
  public:
    DiagnosticCollector(std::string main_path, std::string user_file, std::vector<Diagnostic> &out)
        : main_path_(std::move(main_path)), user_file_(std::move(user_file)), out_(out) {}

    void HandleDiagnostic(clang::DiagnosticsEngine::Level level,
                          const clang::Diagnostic &info) override;
    bool hasErrors() const { return errors_ > 0; }

  private:
    void locate(const clang::Diagnostic &info, Diagnostic &diag) const;
    // true when DIAG was a dialect-internal name reworded into the user's map and method.
    bool reword(const clang::Diagnostic &info, Diagnostic &diag) const;
    static void nameMapsAsDeclared(std::string &message);
    static void rewordMapArity(Diagnostic &diag);

    std::string main_path_;
    std::string user_file_;
    std::vector<Diagnostic> &out_;
    unsigned errors_ = 0;
    bool drop_notes_ = false; // notes of a reworded map error point into the map's plumbing
};

} // namespace jitprobe::frontend
