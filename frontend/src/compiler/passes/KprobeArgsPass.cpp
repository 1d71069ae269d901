// KprobeArgsPass: typed arguments after the pt_regs context become register reads, as in BCC.
//
//   before:  int kprobe__vfs_read(struct pt_regs *ctx, struct file *file, size_t count)
//            {
//   after:   int kprobe__vfs_read(struct pt_regs *ctx)
//            { struct file * file = (struct file *)PT_REGS_PARM1(ctx); size_t count = (size_t)PT_REGS_PARM2(ctx);
//
// Removed parameter text is replaced by its own newlines only, so the user's lines stay put.
// Syscall probes (syscall__NAME, or kprobes on __x64_sys_*) receive the syscall's own pt_regs
// as their first argument (the x86_64 syscall wrapper), so their arguments are read from there:
//   struct pt_regs *__jp_sys = (struct pt_regs *)PT_REGS_PARM1(ctx);
//   const char * filename = (const char *)PT_REGS_PARM1_CORE_SYSCALL(__jp_sys);
#include "compiler/passes/Pass.h"

#include <clang/AST/Decl.h>
#include <clang/AST/Stmt.h>
#include <clang/Lex/Lexer.h>

namespace jitprobe::frontend {
namespace {

constexpr unsigned kMaxRegisterArgs = 6; // PT_REGS_PARM1..5 of libbpf 1.1, PARM6 of bcc.h (x86_64)

bool takesPtRegs(const clang::FunctionDecl *fn, clang::ASTContext &) {
    if (fn->getNumParams() < 2)
        return false;
    clang::QualType type = fn->getParamDecl(0)->getType();
    const auto *record = type->isPointerType() ? type->getPointeeType()->getAsRecordDecl() : nullptr;
    return record && record->getName() == "pt_regs";
}

bool isSyscallProbe(const clang::FunctionDecl *fn, const ProgramInfo &info) {
    std::string name = fn->getNameAsString();
    if (name.starts_with("syscall__"))
        return true;
    const ProgramSpec *spec = info.findProgram(name);
    if (!spec)
        return false;
    for (const auto &a : spec->attach)
        if (a.kind == "kprobe" && a.target.starts_with("__x64_sys_"))
            return true;
    return false;
}

std::string newlinesOnly(llvm::StringRef text) {
    std::string out;
    for (char c : text)
        if (c == '\n')
            out += '\n';
    return out;
}

class KprobeArgsPass : public AstPass {
  public:
    const char *name() const override { return "KprobeArgsPass"; }

    void run(PassContext &ctx) override {
        for (const auto *decl : ctx.userDecls()) {
            const auto *fn = llvm::dyn_cast<clang::FunctionDecl>(decl);
            if (fn && fn->doesThisDeclarationHaveABody() && ctx.inMainFile(fn->getLocation()) &&
                fn->getStorageClass() != clang::SC_Static && takesPtRegs(fn, ctx.ast))
                rewrite(ctx, fn);
        }
    }

  private:
    void rewrite(PassContext &ctx, const clang::FunctionDecl *fn) {
        auto &sm = ctx.ast.getSourceManager();
        unsigned extra = fn->getNumParams() - 1;
        if (extra > kMaxRegisterArgs) {
            ctx.report(fn->getParamDecl(kMaxRegisterArgs + 1)->getLocation(),
                       Diagnostic::Severity::Error,
                       "probe '" + fn->getNameAsString() + "' reads more than 6 register arguments");
            return;
        }
        const auto *first = fn->getParamDecl(0);
        const auto *last = fn->getParamDecl(fn->getNumParams() - 1);
        clang::SourceLocation from = clang::Lexer::getLocForEndOfToken(
            sm.getExpansionLoc(first->getEndLoc()), 0, sm, ctx.ast.getLangOpts());
        auto to = ctx.fileRange(last->getSourceRange());
        const auto *body = llvm::dyn_cast_or_null<clang::CompoundStmt>(fn->getBody());
        if (from.isInvalid() || to.isInvalid() || !body)
            return;
        clang::CharSourceRange params = clang::CharSourceRange::getCharRange(from, to.getEnd());
        std::string removed = ctx.rewriter.getRewrittenText(params);
        ctx.rewriter.ReplaceText(params, newlinesOnly(removed));

        std::string regs = first->getNameAsString(), suffix;
        std::string reads;
        if (isSyscallProbe(fn, ctx.info)) {
            reads = " struct pt_regs *__jp_sys = (struct pt_regs *)PT_REGS_PARM1(" + regs + ");";
            regs = "__jp_sys";
            suffix = "_CORE_SYSCALL";
        }
        for (unsigned i = 1; i < fn->getNumParams(); ++i) {
            const auto *param = fn->getParamDecl(i);
            std::string type = ctx.printType(param->getType());
            reads += " " + type + " " + param->getNameAsString() + " = (" + type +
                     ")PT_REGS_PARM" + std::to_string(i) + suffix + "(" + regs + ");";
        }
        ctx.rewriter.InsertTextAfterToken(sm.getExpansionLoc(body->getLBracLoc()), reads);
    }
};

} // namespace

std::unique_ptr<AstPass> createKprobeArgsPass() { return std::make_unique<KprobeArgsPass>(); }

} // namespace jitprobe::frontend
