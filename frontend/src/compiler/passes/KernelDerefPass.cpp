// KernelDerefPass: the kernel reads CoreReadPass's member chains cannot express become probe
// reads, as BCC's rewriter turns every dereference of an external pointer into bpf_probe_read.
//
//   before:  return name->name[1];            (const struct qstr *name: an array member)
//   after:   return __jp_kread(name->name[1]);
//   before:  return *p->ptr;                  (after CoreReadPass: *BPF_CORE_READ(p, ptr))
//   after:   return __jp_kread(*BPF_CORE_READ(p, ptr));
//   before:  int f(struct pt_regs *ctx, char **argv) { return (*argv)[1]; }
//   after:   ... return __jp_kread((__jp_kread(*argv))[1]);
//
// __jp_kread(lvalue) (bcc.h) copies the lvalue out with bpf_probe_read_kernel; its address is
// computed as written, so CO-RE offsets of kernel structs still relocate. Reads through user
// pointers (`char __user *buf`, a syscall__ probe's arguments) are __jp_uread, with
// bpf_probe_read_user.
//
// Rules: an lvalue read as a value (`*P`, `P[i]`, `P->f` / `L.f` not already a CoreReadPass
// chain) is in kernel memory when P is a kernel pointer: a kprobe argument after `ctx`, a
// pointer read from kernel memory, the address of or an array in kernel memory, pointer
// arithmetic or casts of those, a local initialised or assigned from one, a static helper's
// parameter some call passes one, or what a helper in this file returns when all its
// returns are. Left alone: bit-fields, sizeof/typeof operands,
// macro bodies, programs on packets (tc/XDP/socket contexts: direct packet access), and
// members of packet-header structs (<bcc/proto.h>: PacketHeaderPass's).
#include "compiler/passes/Pass.h"

#include <clang/AST/ParentMapContext.h>
#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Lex/Lexer.h>

#include <set>

#include <map>

namespace jitprobe::frontend {
namespace {

bool isStructPointer(clang::QualType type, llvm::StringRef name) {
    if (!type->isPointerType())
        return false;
    const auto *record = type->getPointeeType()->getAsRecordDecl();
    return record && record->getName() == name;
}

class Provenance {
  public:
    explicit Provenance(clang::ASTContext &ast) : ast_(ast), sm_(ast.getSourceManager()) {}

    // `p = EXPR;` for each local pointer p (declared first, assigned later: `mnt_ns = ...;`).
    std::map<const clang::VarDecl *, std::vector<const clang::Expr *>> assigned;
    // The calls of each function of the file.
    std::map<const clang::FunctionDecl *, std::vector<const clang::CallExpr *>> calls;

    // Does `p->...` on this pointer reach a kernel BTF struct CoreReadPass reads?
    bool isKernelStructPointer(const clang::Expr *e) const {
        clang::QualType type = e->getType();
        if (!type->isPointerType())
            return false;
        const auto *record = type->getPointeeType()->getAsRecordDecl();
        if (!record || isBpfContextType(record->getName()) || record->getName().startswith("bpf_iter__"))
            return false;
        return isKernelTypesFile(sm_.getFilename(sm_.getSpellingLoc(record->getLocation())));
    }

    // A MemberExpr chain CoreReadPass rewrites: `.`s down to an arrow on a kernel struct pointer.
    bool isCoreReadChain(const clang::Expr *e) const {
        for (const auto *m = llvm::dyn_cast<clang::MemberExpr>(e->IgnoreParens()); m;
             m = llvm::dyn_cast<clang::MemberExpr>(m->getBase()->IgnoreParenImpCasts()))
            if (m->isArrow())
                return isKernelStructPointer(m->getBase());
        return false;
    }

    bool kernelLvalue(const clang::Expr *e, int depth = 0) const {
        e = e->IgnoreParens();
        if (depth > 8)
            return false;
        if (const auto *m = llvm::dyn_cast<clang::MemberExpr>(e))
            return m->isArrow() ? isKernelStructPointer(m->getBase()) || kernelPointer(m->getBase(), depth + 1)
                                : kernelLvalue(m->getBase(), depth + 1);
        if (const auto *u = llvm::dyn_cast<clang::UnaryOperator>(e))
            return u->getOpcode() == clang::UO_Deref && kernelPointer(u->getSubExpr(), depth + 1);
        if (const auto *a = llvm::dyn_cast<clang::ArraySubscriptExpr>(e))
            return kernelPointer(a->getBase(), depth + 1);
        return false;
    }

    bool kernelPointer(const clang::Expr *e, int depth = 0) const {
        e = e->IgnoreParens();
        if (depth > 8)
            return false;
        if (const auto *cast = llvm::dyn_cast<clang::CastExpr>(e)) {
            auto kind = cast->getCastKind();
            if (kind == clang::CK_ArrayToPointerDecay || kind == clang::CK_LValueToRValue)
                return kernelLvalue(cast->getSubExpr(), depth + 1) || kernelVariable(cast->getSubExpr(), depth);
            return kernelPointer(cast->getSubExpr(), depth + 1);
        }
        if (const auto *u = llvm::dyn_cast<clang::UnaryOperator>(e))
            return u->getOpcode() == clang::UO_AddrOf && kernelLvalue(u->getSubExpr(), depth + 1);
        if (const auto *b = llvm::dyn_cast<clang::BinaryOperator>(e))
            return b->isAdditiveOp() && (kernelPointer(b->getLHS(), depth + 1) || kernelPointer(b->getRHS(), depth + 1));
        if (const auto *c = llvm::dyn_cast<clang::ConditionalOperator>(e))
            return kernelPointer(c->getTrueExpr(), depth + 1) || kernelPointer(c->getFalseExpr(), depth + 1);
        if (const auto *call = llvm::dyn_cast<clang::CallExpr>(e))
            return helperReturnsKernelPointer(call->getDirectCallee(), depth + 1);
        return false;
    }

    // Is lvalue E in user memory: reached through a user-space pointer (a `__user` argument, a
    // syscall__ probe's argument, a local from one, a pointer read from user memory)?
    bool userLvalue(const clang::Expr *e, int depth = 0) const {
        e = e->IgnoreParens();
        if (depth > 8)
            return false;
        if (const auto *m = llvm::dyn_cast<clang::MemberExpr>(e))
            return m->isArrow() ? userPointer(m->getBase(), depth + 1) : userLvalue(m->getBase(), depth + 1);
        if (const auto *u = llvm::dyn_cast<clang::UnaryOperator>(e))
            return u->getOpcode() == clang::UO_Deref && userPointer(u->getSubExpr(), depth + 1);
        if (const auto *a = llvm::dyn_cast<clang::ArraySubscriptExpr>(e))
            return userPointer(a->getBase(), depth + 1);
        return false;
    }

  private:
    bool userPointer(const clang::Expr *e, int depth) const {
        e = e->IgnoreParens();
        if (depth > 8)
            return false;
        if (const auto *cast = llvm::dyn_cast<clang::CastExpr>(e)) {
            auto kind = cast->getCastKind();
            if (kind == clang::CK_ArrayToPointerDecay || kind == clang::CK_LValueToRValue)
                return userLvalue(cast->getSubExpr(), depth + 1) || userVariable(cast->getSubExpr(), depth);
            return userPointer(cast->getSubExpr(), depth + 1);
        }
        if (const auto *b = llvm::dyn_cast<clang::BinaryOperator>(e))
            return b->isAdditiveOp() && (userPointer(b->getLHS(), depth + 1) || userPointer(b->getRHS(), depth + 1));
        return false;
    }

    bool userVariable(const clang::Expr *e, int depth) const {
        const auto *ref = llvm::dyn_cast<clang::DeclRefExpr>(e->IgnoreParens());
        if (!ref || !ref->getType()->isPointerType())
            return false;
        if (const auto *parm = llvm::dyn_cast<clang::ParmVarDecl>(ref->getDecl()))
            return isUserParam(parm);
        const auto *var = llvm::dyn_cast<clang::VarDecl>(ref->getDecl());
        return var && var->isLocalVarDecl() && var->getInit() && userPointer(var->getInit(), depth + 1);
    }

    // `const char __user *filename` (spelled: __user expands to nothing), or any pointer
    // argument of a syscall__ probe: the syscall's own arguments point into user space.
    bool isUserParam(const clang::ParmVarDecl *parm) const {
        const auto *fn = llvm::dyn_cast<clang::FunctionDecl>(parm->getDeclContext());
        if (fn && parm->getFunctionScopeIndex() > 0 && fn->getName().startswith("syscall__"))
            return true;
        auto range = clang::CharSourceRange::getTokenRange(parm->getSourceRange());
        llvm::StringRef text = clang::Lexer::getSourceText(range, sm_, ast_.getLangOpts());
        return text.contains("__user");
    }

    // A kprobe argument after ctx (`int f(struct pt_regs *ctx, struct sock *sk)`), or a local
    // initialised or assigned from a kernel pointer.
    bool kernelVariable(const clang::Expr *e, int depth) const {
        const auto *ref = llvm::dyn_cast<clang::DeclRefExpr>(e->IgnoreParens());
        if (!ref || !ref->getType()->isPointerType())
            return false;
        if (const auto *parm = llvm::dyn_cast<clang::ParmVarDecl>(ref->getDecl())) {
            const auto *fn = llvm::dyn_cast<clang::FunctionDecl>(parm->getDeclContext());
            if (!fn)
                return false;
            unsigned index = parm->getFunctionScopeIndex();
            if (isUserParam(parm))
                return false;
            if (index > 0 && fn->getNumParams() > 0 && fn->getStorageClass() != clang::SC_Static &&
                isStructPointer(fn->getParamDecl(0)->getType(), "pt_regs"))
                return true;
            return passedKernelPointer(fn, index, depth);
        }
        const auto *var = llvm::dyn_cast<clang::VarDecl>(ref->getDecl());
        if (!var || !var->isLocalVarDecl())
            return false;
        if (var->getInit() && kernelPointer(var->getInit(), depth + 1))
            return true;
        auto it = assigned.find(var);
        if (it == assigned.end())
            return false;
        for (const auto *value : it->second)
            if (kernelPointer(value, depth + 1))
                return true;
        return false;
    }

    bool helperReturnsKernelPointer(const clang::FunctionDecl *fn, int depth) const;

    // A static helper's parameter some call in the file passes a kernel pointer (`count_len(
    // sgs + out, n)` from a kprobe whose argument is `sgs`). Other calls may pass stack
    // addresses: a probe read of those reads the stack, as a direct load would.
    bool passedKernelPointer(const clang::FunctionDecl *fn, unsigned index, int depth) const {
        auto it = calls.find(fn->getCanonicalDecl());
        if (fn->getStorageClass() != clang::SC_Static || it == calls.end())
            return false;
        for (const auto *call : it->second)
            if (index < call->getNumArgs() && kernelPointer(call->getArg(index), depth + 1))
                return true;
        return false;
    }

    clang::ASTContext &ast_;
    const clang::SourceManager &sm_;
};

class Assignments : public clang::RecursiveASTVisitor<Assignments> {
  public:
    explicit Assignments(Provenance &kernel) : kernel_(kernel) {}
    bool VisitBinaryOperator(clang::BinaryOperator *b) {
        const auto *ref = llvm::dyn_cast<clang::DeclRefExpr>(b->getLHS()->IgnoreParens());
        const auto *var = ref ? llvm::dyn_cast<clang::VarDecl>(ref->getDecl()) : nullptr;
        if (b->getOpcode() == clang::BO_Assign && var && var->getType()->isPointerType())
            kernel_.assigned[var].push_back(b->getRHS());
        return true;
    }
    bool VisitCallExpr(clang::CallExpr *call) {
        if (const auto *fn = call->getDirectCallee())
            kernel_.calls[fn->getCanonicalDecl()].push_back(call);
        return true;
    }

  private:
    Provenance &kernel_;
};

class Returns : public clang::RecursiveASTVisitor<Returns> {
  public:
    bool VisitReturnStmt(clang::ReturnStmt *r) {
        values.push_back(r->getRetValue());
        return true;
    }
    std::vector<const clang::Expr *> values;
};

bool Provenance::helperReturnsKernelPointer(const clang::FunctionDecl *fn, int depth) const {
    if (!fn || !fn->hasBody() || !fn->getReturnType()->isPointerType())
        return false;
    Returns returns;
    returns.TraverseStmt(fn->getBody());
    for (const auto *value : returns.values)
        if (!value || !kernelPointer(value, depth))
            return false;
    return !returns.values.empty();
}

struct Read {
    const clang::Expr *lvalue;
    bool user; // in user memory: bpf_probe_read_user
};

class ReadFinder : public clang::RecursiveASTVisitor<ReadFinder> {
  public:
    ReadFinder(clang::ASTContext &ast, const Provenance &kernel, std::vector<Read> &out)
        : ast_(ast), kernel_(kernel), out_(out) {}

    bool shouldTraversePostOrder() const { return true; } // inner reads before outer ones
    bool TraverseUnaryExprOrTypeTraitExpr(clang::UnaryExprOrTypeTraitExpr *) { return true; }
    // typeof(E) names E's type; a macro such as BCC's `_(P)` spells P there and behind `&`.
    bool TraverseTypeOfExprTypeLoc(clang::TypeOfExprTypeLoc) { return true; }

    bool VisitImplicitCastExpr(clang::ImplicitCastExpr *cast) {
        if (cast->getCastKind() != clang::CK_LValueToRValue)
            return true;
        const clang::Expr *e = cast->getSubExpr()->IgnoreParens();
        if (!llvm::isa<clang::UnaryOperator>(e) && !llvm::isa<clang::ArraySubscriptExpr>(e) &&
            !llvm::isa<clang::MemberExpr>(e))
            return true;
        if (const auto *m = llvm::dyn_cast<clang::MemberExpr>(e)) {
            const auto *field = llvm::dyn_cast<clang::FieldDecl>(m->getMemberDecl());
            if (!field || field->isBitField() || kernel_.isCoreReadChain(m) ||
                isPacketHeaderPointer(m->getBase()->getType())) // PacketHeaderPass's
                return true;
        }
        bool user = kernel_.userLvalue(e);
        if (user || kernel_.kernelLvalue(e))
            out_.push_back({e, user});
        return true;
    }

  private:
    clang::ASTContext &ast_;
    const Provenance &kernel_;
    std::vector<Read> &out_;
};

class KernelDerefPass : public AstPass {
  public:
    const char *name() const override { return "KernelDerefPass"; }

    void run(PassContext &ctx) override {
        if (ctx.isMacroDefined("JITPROBE_NO_AUTO_READ"))
            return;
        Provenance kernel(ctx.ast);
        std::vector<Read> reads;
        ReadFinder finder(ctx.ast, kernel, reads);
        Assignments assignments(kernel);
        for (auto *decl : ctx.userDecls())
            assignments.TraverseDecl(decl);
        for (auto *decl : ctx.userDecls()) {
            auto *fn = llvm::dyn_cast<clang::FunctionDecl>(decl);
            if (fn && fn->doesThisDeclarationHaveABody() && ctx.inMainFile(fn->getLocation()) &&
                !isPacketCode(ctx, fn))
                finder.TraverseDecl(fn);
        }
        OncePerSpelling once;
        for (const auto &[read, user] : reads) {
            auto range = ctx.fileRange(read->getSourceRange());
            if (!once.first(range))
                continue;
            // Before whatever an earlier pass put at the start (BPF_CORE_READ(...)); an outer
            // read's prefix comes after (before) its inner ones: reads are innermost first.
            ctx.rewriter.InsertTextBefore(range.getBegin(), user ? "__jp_uread(" : "__jp_kread(");
            ctx.rewriter.InsertTextAfter(range.getEnd(), ")");
        }
    }
};

} // namespace

std::unique_ptr<AstPass> createKernelDerefPass() { return std::make_unique<KernelDerefPass>(); }

} // namespace jitprobe::frontend
