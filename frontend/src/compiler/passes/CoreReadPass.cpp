// CoreReadPass: reads through kernel pointers become CO-RE reads, as BCC's rewriter does with
// bpf_probe_read, but relocatable: offsets are fixed up for the running kernel at load time.
//
//   before:  u32 ppid = task->real_parent->tgid;
//   after:   u32 ppid = BPF_CORE_READ(task, real_parent, tgid);
//
// Rules (README "Automatic kernel memory reads"): an rvalue `p->f` whose `p` points to a struct
// from the kernel's BTF (vmlinux.h) is rewritten, chains and `.` members included. Left alone:
// `&p->f`, array-typed and bit-field members, assignment targets, sizeof/typeof operands,
// the field named by bpf_core_field_exists/_size/_offset (__builtin_preserve_field_info),
// BPF context structs (pt_regs, tracepoint args, __sk_buff, ...) which the verifier lets
// programs read directly, BPF_ITER programs (bpf_iter__*) whose pointers the verifier tracks,
// programs on packets (isPacketCode: their pointers are packet data), struct pointers the
// verifier tracks in BTF-typed programs (BtfPointers: `old_dentry->d_inode` in an LSM program
// stays a load, for helpers that take only such pointers), and everything when
// JITPROBE_NO_AUTO_READ is defined.
#include "compiler/passes/BtfPointers.h"
#include "compiler/passes/Pass.h"

#include <clang/AST/ParentMapContext.h>
#include <clang/AST/RecursiveASTVisitor.h>

#include <set>

#include <algorithm>

namespace jitprobe::frontend {
namespace {

class KernelTypes {
  public:
    explicit KernelTypes(clang::ASTContext &ast) : sm_(ast.getSourceManager()) {}

    // Does `e` point to a struct/union from the kernel's BTF that programs may not load from?
    bool isKernelPointer(const clang::Expr *e) const {
        clang::QualType type = e->getType();
        if (!type->isPointerType())
            return false;
        const auto *record = type->getPointeeType()->getAsRecordDecl();
        if (!record)
            return false;
        std::string name = record->getNameAsString();
        if (name.starts_with("bpf_iter__") || isBpfContextType(name))
            return false;
        return isKernelTypesFile(sm_.getFilename(sm_.getSpellingLoc(record->getLocation())));
    }

  private:
    const clang::SourceManager &sm_;
};

const clang::MemberExpr *asMember(const clang::Expr *e) {
    return llvm::dyn_cast<clang::MemberExpr>(e->IgnoreParenImpCasts());
}

class KernelReadFinder : public clang::RecursiveASTVisitor<KernelReadFinder> {
  public:
    KernelReadFinder(clang::ASTContext &ast, const KernelTypes &kernel, const BtfPointers &btf,
                     std::vector<const clang::MemberExpr *> &out)
        : ast_(ast), kernel_(kernel), btf_(btf), out_(out) {}

    // Reads in FN's body follow; a BTF-typed program's body loads its tracked pointers.
    void enter(const clang::FunctionDecl *fn) { in_btf_body_ = btf_.isBtfProgramBody(fn); }

    bool TraverseUnaryExprOrTypeTraitExpr(clang::UnaryExprOrTypeTraitExpr *) { return true; }
    // typeof(E) names E's type; a macro such as BCC's `_(P)` spells P there and behind `&`.
    bool TraverseTypeOfExprTypeLoc(clang::TypeOfExprTypeLoc) { return true; }

    bool VisitMemberExpr(clang::MemberExpr *e) {
        if (readsKernelMemory(e) && isOutermostRead(e) && !(in_btf_body_ && btf_.isTracked(e)))
            out_.push_back(e);
        return true;
    }

  private:
    // `p->f`, or `p->s.f` (a `.` chain over a kernel-pointer arrow).
    bool readsKernelMemory(const clang::MemberExpr *e) const {
        for (const auto *m = e; m; m = asMember(m->getBase()))
            if (m->isArrow())
                return kernel_.isKernelPointer(m->getBase());
        return false;
    }

    bool isOutermostRead(const clang::MemberExpr *e) {
        const auto *field = llvm::dyn_cast<clang::FieldDecl>(e->getMemberDecl());
        if (!field || field->isBitField() || e->getType()->isArrayType())
            return false;
        const clang::Expr *child = e;
        for (;;) {
            auto parents = ast_.getParents(*child);
            if (parents.empty())
                return true;
            const auto *parent = parents[0].get<clang::Expr>();
            if (!parent)
                return true;
            if (llvm::isa<clang::ParenExpr>(parent) || llvm::isa<clang::ImplicitCastExpr>(parent)) {
                child = parent;
                continue;
            }
            return acceptsRead(parent, child);
        }
    }

    // The member that continues `e`'s chain (`e->f` / `e.f`), through parens and casts.
    const clang::MemberExpr *continuation(const clang::MemberExpr *e) {
        const clang::Expr *child = e;
        for (;;) {
            auto parents = ast_.getParents(*child);
            const auto *parent = parents.empty() ? nullptr : parents[0].get<clang::Expr>();
            if (parent && (llvm::isa<clang::ParenExpr>(parent) || llvm::isa<clang::ImplicitCastExpr>(parent))) {
                child = parent;
                continue;
            }
            const auto *outer = parent ? llvm::dyn_cast<clang::MemberExpr>(parent) : nullptr;
            return outer && outer->getBase()->IgnoreParenImpCasts() == e && readsKernelMemory(outer) ? outer
                                                                                                   : nullptr;
        }
    }

    // Is the chain `e` belongs to read as a whole (its outermost member is a read)?
    bool chainIsRead(const clang::MemberExpr *e) {
        const auto *outer = continuation(e);
        return outer ? chainIsRead(outer) : isOutermostRead(e);
    }

    // Is `e` the last arrow of its chain (`.` members may follow)?
    bool isLastArrow(const clang::MemberExpr *e) {
        for (const auto *m = continuation(e); m; m = continuation(m))
            if (m->isArrow())
                return false;
        return e->isArrow();
    }

    // May `child` be replaced by a value inside `parent`?
    bool acceptsRead(const clang::Expr *parent, const clang::Expr *child) {
        if (const auto *member = llvm::dyn_cast<clang::MemberExpr>(parent)) {
            bool continues = member->getBase()->IgnoreParenImpCasts() == child->IgnoreParenImpCasts() &&
                             readsKernelMemory(member);
            // `task->real_parent->comm`, `&p->a->b`: the outer member is an address, not a
            // read, so the pointer it goes through must be read here.
            return !continues || (isLastArrow(member) && !chainIsRead(member));
        }
        if (const auto *unary = llvm::dyn_cast<clang::UnaryOperator>(parent))
            return unary->getOpcode() != clang::UO_AddrOf && !unary->isIncrementDecrementOp();
        if (const auto *binary = llvm::dyn_cast<clang::BinaryOperator>(parent))
            return !(binary->isAssignmentOp() && binary->getLHS() == child);
        // bpf_core_field_exists(p->f) and friends name the field, they do not read it.
        if (const auto *call = llvm::dyn_cast<clang::CallExpr>(parent))
            if (const auto *callee = call->getDirectCallee())
                return callee->getName() != "__builtin_preserve_field_info";
        return true;
    }

    clang::ASTContext &ast_;
    const KernelTypes &kernel_;
    const BtfPointers &btf_;
    std::vector<const clang::MemberExpr *> &out_;
    bool in_btf_body_ = false;
};

class CoreReadPass : public AstPass {
  public:
    const char *name() const override { return "CoreReadPass"; }

    void run(PassContext &ctx) override {
        if (ctx.isMacroDefined("JITPROBE_NO_AUTO_READ"))
            return;
        KernelTypes kernel(ctx.ast);
        // getParents() builds its map over the traversal scope: the whole TU by default,
        // which deserializes all of the kernel-type PCH (~0.5 s). The user's code is enough.
        ctx.ast.setTraversalScope(ctx.userDecls());
        std::vector<const clang::MemberExpr *> reads;
        BtfPointers btf(ctx);
        KernelReadFinder finder(ctx.ast, kernel, btf, reads);
        for (auto *decl : ctx.userDecls()) {
            auto *fn = llvm::dyn_cast<clang::FunctionDecl>(decl);
            if (fn && fn->doesThisDeclarationHaveABody() && ctx.inMainFile(fn->getLocation()) &&
                !isIteratorProgram(fn) && !isPacketCode(ctx, fn)) {
                finder.enter(fn);
                finder.TraverseDecl(fn);
            }
        }
        auto &sm = ctx.ast.getSourceManager();
        std::stable_sort(reads.begin(), reads.end(), [&](const auto *a, const auto *b) {
            return sm.isBeforeInTranslationUnit(sm.getExpansionLoc(b->getBeginLoc()),
                                                sm.getExpansionLoc(a->getBeginLoc()));
        });
        OncePerSpelling once;
        for (const auto *read : reads)
            if (once.first(ctx.fileRange(read->getSourceRange())))
                rewrite(ctx, kernel, read);
    }

  private:
    // BPF_ITER programs load through their context's BTF-typed pointers directly, as in BCC:
    // the verifier tracks what they point to, and helpers such as bpf_seq_write take
    // ctx->meta->seq only as such a pointer, never as a value read with BPF_CORE_READ.
    static bool isIteratorProgram(const clang::FunctionDecl *fn) {
        return fn->getName().startswith("bpf_iter__");
    }

    // The root as written, or cast to its struct when it points to a typedef of one: the
    // relocation would name the typedef (`ts_t`), which the kernel's BTF has no struct for.
    static std::string rootText(PassContext &ctx, const clang::Expr *base, clang::CharSourceRange root) {
        std::string text = ctx.rewriter.getRewrittenText(root);
        clang::QualType pointee = base->getType()->getPointeeType();
        if (!pointee->getAs<clang::TypedefType>())
            return text;
        return "((" + ctx.printType(pointee.getCanonicalType()) + " *)(" + text + "))";
    }

    // task->real_parent->tgid -> root "task", accessors {"real_parent", "tgid"}.
    void rewrite(PassContext &ctx, const KernelTypes &kernel, const clang::MemberExpr *outer) {
        std::vector<const clang::MemberExpr *> chain;
        for (const auto *m = outer; m; m = asMember(m->getBase()))
            chain.push_back(m);
        // The root is the base of the innermost kernel-pointer arrow.
        size_t innermost = 0;
        for (size_t i = 0; i < chain.size(); ++i)
            if (chain[i]->isArrow() && kernel.isKernelPointer(chain[i]->getBase()))
                innermost = i;
        auto whole = ctx.fileRange(outer->getSourceRange());
        auto root = ctx.fileRange(chain[innermost]->getBase()->getSourceRange());
        if (whole.isInvalid() || root.isInvalid())
            return;
        // Accessors between arrows; members of anonymous structs/unions have no name of their
        // own and are reached through the next named member (`sk->__sk_common.skc_dport`).
        std::vector<std::string> accessors;
        for (size_t i = innermost + 1; i-- > 0;) {
            const auto *m = chain[i];
            std::string name = m->getMemberDecl()->getNameAsString();
            if (m->isArrow() || accessors.empty())
                accessors.push_back(name);
            else if (!name.empty())
                accessors.back() += (accessors.back().empty() ? "" : ".") + name;
        }
        const clang::Expr *base = chain[innermost]->getBase();
        std::string root_text = rootText(ctx, base, root);
        // A root that is itself an access (`valp->fp` of a map value) is evaluated before the
        // read: inside BPF_CORE_READ it would become a CO-RE relocation against a local type.
        bool hoist = !llvm::isa<clang::DeclRefExpr>(base->IgnoreParenCasts());
        std::string text = "BPF_CORE_READ(" + (hoist ? std::string("__jp_r") : root_text);
        for (const auto &a : accessors)
            text += ", " + a;
        text += ")";
        if (hoist)
            text = "({ __typeof__(" + root_text + ") __jp_r = (" + root_text + "); " + text + "; })";
        ctx.rewriter.ReplaceText(whole, text);
    }
};

} // namespace

std::unique_ptr<AstPass> createCoreReadPass() { return std::make_unique<CoreReadPass>(); }

} // namespace jitprobe::frontend
