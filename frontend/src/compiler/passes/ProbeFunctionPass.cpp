// ProbeFunctionPass: every probe function gets its SEC() from BCC's naming conventions,
// the probe macros, or an `// @attach` directive; static functions stay helpers, always inlined
// as BCC does.
//
//   before:  TRACEPOINT_PROBE(syscalls, sys_enter_openat) { ... }
//   after:   SEC("tracepoint/syscalls/sys_enter_openat") TRACEPOINT_PROBE(syscalls, sys_enter_openat) { ... }
//
// What each program attaches to goes into ProgramInfo for the runtime.
//
// A non-static function that nothing names as a probe and that no other function calls is one
// BCC's Python side would load by name (`b.load_func("trace_count", BPF.KPROBE)`); it becomes
// a load-only kprobe program, the type load_func gives a `struct pt_regs *` / `void *` context
// (a `struct __sk_buff *` one that reads skb->data or writes a packet-header field is a tc
// classifier, as socket filters cannot; so is a `void *` one that uses packet headers):
//
//   before:  int trace_count(void *ctx) { ... }
//   after:   SEC("kprobe") int trace_count(void *ctx) { ... }      (no attach point)
#include "compiler/passes/Pass.h"
#include "conventions/ProbeConventions.h"

#include <clang/AST/Attr.h>
#include <clang/AST/Decl.h>
#include <clang/AST/RecursiveASTVisitor.h>

#include <set>

namespace jitprobe::frontend {
namespace {

std::string contextType(const clang::FunctionDecl *fn, clang::ASTContext &ast) {
    if (fn->getNumParams() == 0)
        return "";
    clang::PrintingPolicy policy(ast.getLangOpts());
    return fn->getParamDecl(0)->getType().getUnqualifiedType().getAsString(policy);
}

// Names of the functions some user function calls (or takes the address of): those are
// helpers, never programs of their own.
class CalledFunctions : public clang::RecursiveASTVisitor<CalledFunctions> {
  public:
    bool VisitDeclRefExpr(clang::DeclRefExpr *e) {
        if (llvm::isa<clang::FunctionDecl>(e->getDecl()))
            names.insert(e->getDecl()->getNameAsString());
        return true;
    }
    std::set<std::string> names;
};

// Does the body read `skb->data` / `skb->data_end` of a `struct __sk_buff *`, write packet
// headers or call a tc-only helper? Socket filters may not (no direct packet access, fewer
// helpers): such a program is one BCC loads as BPF.SCHED_CLS.
class PacketDataReads : public clang::RecursiveASTVisitor<PacketDataReads> {
  public:
    bool VisitMemberExpr(clang::MemberExpr *e) {
        llvm::StringRef member = e->getMemberDecl()->getName();
        clang::QualType base = e->getBase()->getType();
        const auto *record = base->isPointerType() ? base->getPointeeType()->getAsRecordDecl() : nullptr;
        found = found || (record && record->getName() == "__sk_buff" && (member == "data" || member == "data_end"));
        headers = headers || isPacketHeaderPointer(base);
        return !found;
    }
    // Writing a packet-header field (bpf_skb_store_bytes) is for tc programs only, too.
    bool VisitBinaryOperator(clang::BinaryOperator *b) {
        const auto *m = llvm::dyn_cast<clang::MemberExpr>(b->getLHS()->IgnoreParens());
        bool write = b->isAssignmentOp() && m && isPacketHeaderPointer(m->getBase()->getType());
        found = found || write;
        headers = headers || write;
        return !found;
    }
    // Helpers the kernel gives tc programs but not socket filters (BCC's examples call them
    // from functions their Python loads as BPF.SCHED_CLS: vlan_learning's bpf_skb_vlan_pop).
    bool VisitCallExpr(clang::CallExpr *call) {
        static const std::set<std::string, std::less<>> kTcOnly = {
            "bpf_skb_store_bytes", "bpf_l3_csum_replace", "bpf_l4_csum_replace", "bpf_clone_redirect",
            "bpf_redirect", "bpf_skb_vlan_push", "bpf_skb_vlan_pop", "bpf_skb_change_proto",
            "bpf_skb_change_type", "bpf_skb_change_tail", "bpf_skb_change_head", "bpf_skb_adjust_room",
            "bpf_skb_get_tunnel_key", "bpf_skb_set_tunnel_key", "bpf_skb_get_tunnel_opt",
            "bpf_skb_set_tunnel_opt", "bpf_set_hash", "bpf_set_hash_invalid", "bpf_skb_pull_data",
            "bpf_csum_update", "bpf_fib_lookup", "bpf_skb_under_cgroup", "bpf_get_route_realm"};
        const auto *ref = llvm::dyn_cast<clang::DeclRefExpr>(call->getCallee()->IgnoreParenImpCasts());
        found = found || (ref && kTcOnly.count(ref->getDecl()->getName()));
        return !found;
    }
    bool found = false;
    bool headers = false; // a packet-header member through a cursor (PacketHeaderPass)
};

class ProbeFunctionPass : public AstPass {
  public:
    const char *name() const override { return "ProbeFunctionPass"; }

    void run(PassContext &ctx) override {
        for (auto *decl : ctx.userDecls())
            called_.TraverseDecl(decl);
        for (const auto *decl : ctx.userDecls()) {
            const auto *fn = llvm::dyn_cast<clang::FunctionDecl>(decl);
            if (!fn || !fn->doesThisDeclarationHaveABody() || !ctx.inMainFile(fn->getLocation()))
                continue;
            defined_.insert(fn->getNameAsString());
            if (fn->getStorageClass() == clang::SC_Static) {
                static_.insert(fn->getNameAsString());
                inlineHelper(ctx, fn);
                continue;
            }
            addProgram(ctx, fn);
        }
        checkDirectives(ctx);
    }

  private:
    // BCC inlines every helper: a BPF-to-BPF call would lose what the verifier knows of its
    // arguments (a string literal's bounds, a struct passed by value), so helpers that work
    // under BCC are rejected.
    //   before:  static int trace_return(struct pt_regs *ctx, const char *op) { ... }
    //   after:   __attribute__((always_inline)) static int trace_return(...) { ... }
    static void inlineHelper(PassContext &ctx, const clang::FunctionDecl *fn) {
        if (fn->hasAttr<clang::AlwaysInlineAttr>() || fn->hasAttr<clang::NoInlineAttr>())
            return;
        auto &sm = ctx.ast.getSourceManager();
        ctx.rewriter.InsertTextBefore(sm.getExpansionLoc(fn->getBeginLoc()),
                                      "__attribute__((always_inline)) ");
    }

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
        if (!spec && !called_.names.count(name))
            spec = ProgramSpec{name, "kprobe", "kprobe", {}, line}; // load_func's default type
        // BCC's packet-cursor programs may take `void *ctx` and be loaded as BPF.SCHED_CLS:
        // bpf_dext_pkt / bpf_dins_pkt need an skb program.
        if (spec && !section && spec->attach.empty() && contextType(fn, ctx.ast) == "void *") {
            PacketDataReads packet;
            packet.TraverseStmt(fn->getBody());
            if (packet.headers)
                *spec = ProgramSpec{name, "tc", "sched_cls", {}, line};
        }
        if (spec && !section && spec->prog_type == "socket_filter" && spec->attach.empty()) {
            PacketDataReads packet;
            packet.TraverseStmt(fn->getBody());
            if (packet.found)
                *spec = ProgramSpec{name, "tc", "sched_cls", {}, line};
        }
        if (!spec) {
            ctx.report(fn->getLocation(), Diagnostic::Severity::Warning,
                       "function '" + name + "' is not a probe: another function calls it and its "
                       "first parameter is not a known BPF context type; it is compiled as a helper",
                       "declare helpers 'static', or give the function a context parameter "
                       "such as 'struct pt_regs *ctx'");
            return;
        }
        (void)directed;
        if (!section)
            ctx.rewriter.InsertTextBefore(sm.getExpansionLoc(fn->getBeginLoc()),
                                          "SEC(\"" + spec->section + "\") ");
        ctx.info.programs.push_back(std::move(*spec));
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
    CalledFunctions called_;
};

} // namespace

std::unique_ptr<AstPass> createProbeFunctionPass() { return std::make_unique<ProbeFunctionPass>(); }

} // namespace jitprobe::frontend
