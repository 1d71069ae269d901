// ProbeFunctionPass: every probe function gets its SEC() from BCC's naming conventions,
// the probe macros, or an `// @attach` directive; static functions stay helpers.
//
//   before:  TRACEPOINT_PROBE(syscalls, sys_enter_openat) { ... }
//   after:   SEC("tracepoint/syscalls/sys_enter_openat") TRACEPOINT_PROBE(syscalls, sys_enter_openat) { ... }
//
// What each program attaches to goes into ProgramInfo for the runtime.
#include "compiler/passes/Pass.h"
#include "conventions/ProbeConventions.h"

#include <clang/AST/Attr.h>
#include <clang/AST/Decl.h>

#include <set>

namespace jitprobe::frontend {
namespace {

std::string contextType(const clang::FunctionDecl *fn, clang::ASTContext &ast) {
    if (fn->getNumParams() == 0)
        return "";
    clang::PrintingPolicy policy(ast.getLangOpts());
    return fn->getParamDecl(0)->getType().getUnqualifiedType().getAsString(policy);
}

class ProbeFunctionPass : public AstPass {
  public:
    const char *name() const override { return "ProbeFunctionPass"; }

    void run(PassContext &ctx) override {
        for (const auto *decl : ctx.userDecls()) {
            const auto *fn = llvm::dyn_cast<clang::FunctionDecl>(decl);
            if (!fn || !fn->doesThisDeclarationHaveABody() || !ctx.inMainFile(fn->getLocation()))
                continue;
            defined_.insert(fn->getNameAsString());
            if (fn->getStorageClass() == clang::SC_Static) {
                static_.insert(fn->getNameAsString());
                continue;
            }
            addProgram(ctx, fn);
        }
        reportUntyped(ctx);
        checkDirectives(ctx);
        if (ctx.info.programs.empty() && !hasErrors(ctx.diags))
            ctx.report({}, Diagnostic::Severity::Error,
                       "no probes found: the source defines no probe function",
                       "define e.g. TRACEPOINT_PROBE(syscalls, sys_enter_openat) { ... }, "
                       "int kprobe__vfs_read(struct pt_regs *ctx), or name a function in an "
                       "'// @attach KIND:TARGET -> FUNCTION' line");
    }

  private:
    void addProgram(PassContext &ctx, const clang::FunctionDecl *fn) {
        auto &sm = ctx.ast.getSourceManager();
        std::string name = fn->getNameAsString();
        unsigned line = sm.getExpansionLineNumber(fn->getLocation());
        const auto *section = fn->getAttr<clang::SectionAttr>();
        std::optional<ProgramSpec> spec =
            section ? programForSection(name, section->getName().str(), line)
                    : programForFunction(name, contextType(fn, ctx.ast), line);
        bool directed = false;
        for (const auto &d : ctx.directives)
            if (d.function == name) {
                if (!spec)
                    spec = ProgramSpec{name, "", "", {}, line};
                addDirective(*spec, d);
                directed = true;
            }
        if (!spec) {
            untyped_.push_back({fn, contextType(fn, ctx.ast) == "void *"});
            return;
        }
        (void)directed;
        addSpec(ctx, fn, section, std::move(*spec));
    }

    void addSpec(PassContext &ctx, const clang::FunctionDecl *fn, bool has_section,
                 ProgramSpec spec) {
        auto &sm = ctx.ast.getSourceManager();
        if (!has_section)
            ctx.rewriter.InsertTextBefore(sm.getExpansionLoc(fn->getBeginLoc()),
                                          "SEC(\"" + spec.section + "\") ");
        ctx.info.programs.push_back(std::move(spec));
    }

    // Functions whose context type says nothing are helpers, except in a source with no probe
    // at all: there BCC's `int f(void *ctx)` (attached with attach_kprobe / attach_uprobe)
    // loads as a kprobe program, BCC's default, instead of failing with "no probes found".
    void reportUntyped(PassContext &ctx) {
        bool as_kprobes = ctx.info.programs.empty();
        for (const auto &[fn, void_ctx] : untyped_) {
            std::string name = fn->getNameAsString();
            unsigned line = ctx.ast.getSourceManager().getExpansionLineNumber(fn->getLocation());
            auto spec = programForFunction(name, "struct pt_regs *", line);
            if (as_kprobes && void_ctx && spec) {
                ctx.report(fn->getLocation(), Diagnostic::Severity::Warning,
                           "function '" + name + "' has a 'void *' context: loaded as a kprobe "
                           "program (BCC's default; the source has no other probe)",
                           "give it 'struct pt_regs *ctx' to say so, or a tracepoint/raw "
                           "tracepoint context type for other attach calls");
                addSpec(ctx, fn, false, std::move(*spec));
                continue;
            }
            ctx.report(fn->getLocation(), Diagnostic::Severity::Warning,
                       "function '" + name + "' is not a probe: its first parameter is not a "
                       "known BPF context type; it is compiled as a helper",
                       "declare helpers 'static', or give the function a context parameter "
                       "such as 'struct pt_regs *ctx'");
        }
    }

    void checkDirectives(PassContext &ctx) {
        for (const auto &d : ctx.directives) {
            if (defined_.count(d.function) && !static_.count(d.function))
                continue;
            Diagnostic diag;
            diag.loc = {ctx.user_file, d.line, 1};
            diag.message = static_.count(d.function)
                               ? "@attach names function '" + d.function + "', which is static"
                               : "@attach names function '" + d.function +
                                     "', which the source does not define";
            diag.hint = "define 'int " + d.function + "(...)' (not static) in this file";
            ctx.diags.push_back(std::move(diag));
        }
    }

    std::set<std::string> defined_, static_;
    std::vector<std::pair<const clang::FunctionDecl *, bool>> untyped_; // bool: 'void *' context
};

} // namespace

std::unique_ptr<AstPass> createProbeFunctionPass() { return std::make_unique<ProbeFunctionPass>(); }

} // namespace jitprobe::frontend
