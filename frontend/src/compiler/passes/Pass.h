// The rewrite passes run on the parsed user source (bpftrace-style: one pass per file).
// Each pass reads the Clang AST, edits the user's text through the shared Rewriter (never
// adding or removing newlines, so line numbers stay the user's), and records what it learned
// in ProgramInfo or reports Diagnostics.
#pragma once
#include "jitprobe/frontend/Diagnostic.h"
#include "jitprobe/frontend/ProgramInfo.h"
#include "text/AttachDirectives.h"

#include <clang/AST/ASTContext.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Rewrite/Core/Rewriter.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace jitprobe::frontend {

struct PassContext {
    clang::ASTContext &ast;
    clang::Rewriter &rewriter;
    ProgramInfo &info;
    std::vector<Diagnostic> &diags;
    const std::string &user_file;
    const std::vector<AttachDirective> &directives;
    std::string appendix; // text appended to the rewritten file (type anchors ...)

    bool inMainFile(clang::SourceLocation loc) const;
    // Top-level declarations parsed from text in this compile, not those in the kernel-type PCH:
    // walking decls() would deserialize all of vmlinux.h (~0.5 s).
    std::vector<clang::Decl *> userDecls() const;
    // A file range for an AST range, or an invalid range if it is not plain user text.
    clang::CharSourceRange fileRange(clang::SourceRange range) const;
    void report(clang::SourceLocation loc, Diagnostic::Severity severity, std::string message,
                std::string hint = {});
};

class AstPass {
  public:
    virtual ~AstPass() = default;
    virtual const char *name() const = 0;
    virtual void run(PassContext &ctx) = 0;
};

std::unique_ptr<AstPass> createMapDeclPass();
std::unique_ptr<AstPass> createCoreReadPass();
std::unique_ptr<AstPass> createMapCallPass();
std::unique_ptr<AstPass> createProbeFunctionPass();
std::unique_ptr<AstPass> createKprobeArgsPass();

// The BCC declaration kind of a map variable ("hash", "perf_output", ...) or nullopt.
std::optional<std::string> mapKindOf(const clang::VarDecl *var);

} // namespace jitprobe::frontend
