// The rewrite passes run on the parsed user source (bpftrace-style: one pass per file).
// Each pass reads the Clang AST, edits the user's text through the shared Rewriter (never
// adding or removing newlines, so line numbers stay the user's), and records what it learned
// in ProgramInfo or reports Diagnostics.
#pragma once
#include "jitprobe/frontend/Diagnostic.h"
#include "jitprobe/frontend/ProgramInfo.h"
#include "conventions/AttachDirectives.h"

#include <clang/AST/ASTContext.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Rewrite/Core/Rewriter.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
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
    // Kernel records TypeShakingPass renamed to minimal local types ("task_struct" ->
    // "task_struct___jp"): passes that print types from the AST print them renamed.
    std::vector<std::string> renamed_records;
    // Text inserted before a location after every pass ran, ahead of what other passes put
    // there: a later ReplaceText of a range starting at that location would swallow it.
    std::vector<std::pair<clang::SourceLocation, std::string>> late_inserts;

    bool inMainFile(clang::SourceLocation loc) const;
    // The main file or a header of the user's (not a system, kernel-type or dialect header).
    bool inUserFile(clang::SourceLocation loc) const;
    // Is NAME a macro here (-DNAME or #define NAME)? Passes' opt-outs are such macros.
    bool isMacroDefined(llvm::StringRef name) const;
    // Top-level declarations parsed from text in this compile, not those in the kernel-type PCH:
    // walking decls() would deserialize all of vmlinux.h (~0.5 s).
    // WITH_HEADERS: also those of the user's own headers (inUserFile), e.g. maps declared there.
    std::vector<clang::Decl *> userDecls(bool with_headers = false) const;
    // A file range for an AST range, or an invalid range if it is not plain user text.
    clang::CharSourceRange fileRange(clang::SourceRange range) const;
    // fileRange, or for a macro argument whose expression starts or ends in a macro's body
    // (`bpf_ntohl(x)`), the text where it was written; invalid if there is none.
    clang::CharSourceRange writtenRange(clang::SourceRange range) const;
    // A type as C text, with renamed_records applied (for text that replaces user code).
    std::string printType(clang::QualType type) const;
    void report(clang::SourceLocation loc, Diagnostic::Severity severity, std::string message,
                std::string hint = {});
};

// A macro that expands its argument twice (bpf_ntohs, bpf_printk, `#define TWICE(x) ((x)+(x))`)
// gives one AST node per expansion, all spelled at the same text: a pass rewrites that text once.
class OncePerSpelling {
  public:
    // True the first time RANGE (a file range) is seen; false for an invalid range.
    [[nodiscard]] bool first(clang::CharSourceRange range) {
        return range.isValid() &&
               done_.insert({range.getBegin().getRawEncoding(), range.getEnd().getRawEncoding()})
                   .second;
    }

  private:
    std::set<std::pair<unsigned, unsigned>> done_;
};

// Does FN run on packets (first parameter __sk_buff, xdp_md, sk_msg_md, ...)? Its pointers
// are packet data read directly, never probe reads. A static helper counts as such when every
// program of the file is one.
[[nodiscard]] bool isPacketCode(PassContext &ctx, const clang::FunctionDecl *fn);

// Does TYPE point to a packet-header struct (BPF_PACKET_HEADER, <bcc/proto.h>)? Its members
// are packet fields at offsets from a cursor, read by PacketHeaderPass, never memory.
[[nodiscard]] bool isPacketHeaderPointer(clang::QualType type);

// Is FILE (a source location's file name) the kernel's vmlinux.h or one of its parts?
bool isKernelTypesFile(llvm::StringRef file);

class AstPass {
  public:
    virtual ~AstPass() = default;
    virtual const char *name() const = 0;
    virtual void run(PassContext &ctx) = 0;
};

std::unique_ptr<AstPass> createTypeShakingPass();
std::unique_ptr<AstPass> createMapDeclPass();
std::unique_ptr<AstPass> createCoreReadPass();
std::unique_ptr<AstPass> createKernelDerefPass();
std::unique_ptr<AstPass> createPacketHeaderPass();
std::unique_ptr<AstPass> createMapCallPass();
std::unique_ptr<AstPass> createProbeFunctionPass();
std::unique_ptr<AstPass> createKprobeArgsPass();
std::unique_ptr<AstPass> createPrintkPass();

// "struct task_struct *" -> "struct task_struct___jp *" for each renamed record.
std::string applyRecordRenames(std::string text, const std::vector<std::string> &renamed);

// PATTERN with each "{key}" replaced by VALUE(key): the rule tables' placeholders
// (MapCallPass's "{map}", "{0}", PacketHeaderPass's "{addr}" ...).
std::string expandPlaceholders(std::string_view pattern,
                               const std::function<std::string(std::string_view key)> &value);
inline constexpr const char *kShakenSuffix = "___jp";

// BPF context structs (pt_regs, __sk_buff, xdp_md, ...): programs read them directly, the
// verifier checks their names, and they are never rewritten.
bool isBpfContextType(llvm::StringRef name);

// A map variable's declaration as the dialect header encodes it ("hash",
// "public:array", "pinned:/sys/fs/bpf/x:hash", "array_of_maps$inner"), or nullopt.
std::optional<std::string> mapDeclarationOf(const clang::VarDecl *var);
// Its BCC kind alone ("hash", "array", "perf_output", ...; no sharing or pin prefix).
std::optional<std::string> mapKindOf(const clang::VarDecl *var);

} // namespace jitprobe::frontend
