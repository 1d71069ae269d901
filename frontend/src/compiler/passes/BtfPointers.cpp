#include "compiler/passes/BtfPointers.h"

#include "conventions/ProbeConventions.h"

#include <clang/AST/Attr.h>
#include <clang/AST/RecursiveASTVisitor.h>

#include <string_view>

namespace jitprobe::frontend {
namespace {

// Attach kinds whose programs get typed arguments the verifier tracks (bpf_iter__ programs
// are left alone as a whole by the passes).
bool isBtfAttachKind(const std::string &kind) {
    static constexpr std::string_view kKinds[] = {"fentry", "fexit", "fmod_ret", "lsm", "tp_btf"};
    for (auto k : kKinds)
        if (kind == k)
            return true;
    return false;
}

// Does FN (a program function: BCC name or SEC("...")) attach as a BTF-typed program?
bool attachesWithBtf(const clang::FunctionDecl *fn) {
    std::string name = fn->getNameAsString();
    std::optional<ProgramSpec> spec;
    if (const auto *section = fn->getAttr<clang::SectionAttr>())
        spec = programForSection(name, section->getName().str(), 0);
    if (!spec)
        spec = programForFunction(name, "", 0);
    return spec && !spec->attach.empty() && isBtfAttachKind(spec->attach.front().kind);
}

class Assignments : public clang::RecursiveASTVisitor<Assignments> {
  public:
    explicit Assignments(std::map<const clang::VarDecl *, std::vector<const clang::Expr *>> &out)
        : out_(out) {}
    bool VisitBinaryOperator(clang::BinaryOperator *b) {
        if (const auto *var = localPointer(b->getLHS()); var && b->isAssignmentOp())
            out_[var].push_back(b->getOpcode() == clang::BO_Assign ? b->getRHS() : nullptr);
        return true;
    }
    bool VisitUnaryOperator(clang::UnaryOperator *u) {
        // p++ or &p (written through elsewhere): no longer what it was initialised with.
        if (const auto *var = localPointer(u->getSubExpr());
            var && (u->isIncrementDecrementOp() || u->getOpcode() == clang::UO_AddrOf))
            out_[var].push_back(nullptr);
        return true;
    }

  private:
    static const clang::VarDecl *localPointer(const clang::Expr *e) {
        const auto *ref = llvm::dyn_cast<clang::DeclRefExpr>(e->IgnoreParenImpCasts());
        const auto *var = ref ? llvm::dyn_cast<clang::VarDecl>(ref->getDecl()) : nullptr;
        return var && var->getType()->isPointerType() ? var : nullptr;
    }
    std::map<const clang::VarDecl *, std::vector<const clang::Expr *>> &out_;
};

} // namespace

BtfPointers::BtfPointers(PassContext &ctx) : sm_(ctx.ast.getSourceManager()) {
    std::set<std::string> programs;
    std::vector<clang::FunctionDecl *> functions;
    for (auto *decl : ctx.userDecls()) {
        auto *fn = llvm::dyn_cast<clang::FunctionDecl>(decl);
        if (!fn || !fn->doesThisDeclarationHaveABody())
            continue;
        functions.push_back(fn);
        if (fn->getStorageClass() != clang::SC_Static && attachesWithBtf(fn))
            programs.insert(fn->getNameAsString());
    }
    Assignments assignments(assigned_);
    for (auto *fn : functions) {
        llvm::StringRef name = fn->getName();
        if (name.consume_front("____") && programs.count(name.str()) && fn->getNumParams() > 0) {
            bodies_.insert(fn->getCanonicalDecl());
            assignments.TraverseDecl(fn);
        }
    }
}

bool BtfPointers::isBtfProgramBody(const clang::FunctionDecl *fn) const {
    return fn && bodies_.count(fn->getCanonicalDecl()) > 0;
}

bool BtfPointers::isKernelStructPointer(clang::QualType type) const {
    if (!type->isPointerType())
        return false;
    const auto *record = type->getPointeeType()->getAsRecordDecl();
    if (!record || isBpfContextType(record->getName()))
        return false;
    return isKernelTypesFile(sm_.getFilename(sm_.getSpellingLoc(record->getLocation())));
}

bool BtfPointers::isTracked(const clang::Expr *e, int depth) const {
    if (depth > 8 || !isKernelStructPointer(e->getType()))
        return false;
    e = e->IgnoreParens();
    if (const auto *cast = llvm::dyn_cast<clang::CastExpr>(e)) {
        auto kind = cast->getCastKind();
        if (kind == clang::CK_NoOp || kind == clang::CK_BitCast || kind == clang::CK_LValueToRValue)
            return cast->getSubExpr()->getType()->isPointerType() && isTracked(cast->getSubExpr(), depth + 1);
        return false;
    }
    if (const auto *ref = llvm::dyn_cast<clang::DeclRefExpr>(e)) {
        if (const auto *parm = llvm::dyn_cast<clang::ParmVarDecl>(ref->getDecl())) {
            const auto *fn = llvm::dyn_cast<clang::FunctionDecl>(parm->getDeclContext());
            return parm->getFunctionScopeIndex() > 0 && isBtfProgramBody(fn);
        }
        const auto *var = llvm::dyn_cast<clang::VarDecl>(ref->getDecl());
        return var && var->isLocalVarDecl() && trackedVariable(var, depth);
    }
    // `p->f` or `p->s.f`: the member's base chain ends at an arrow through a tracked pointer.
    for (const auto *m = llvm::dyn_cast<clang::MemberExpr>(e); m;
         m = llvm::dyn_cast<clang::MemberExpr>(m->getBase()->IgnoreParenImpCasts()))
        if (m->isArrow())
            return isTracked(m->getBase(), depth + 1);
    return false;
}

bool BtfPointers::trackedVariable(const clang::VarDecl *var, int depth) const {
    auto it = assigned_.find(var);
    if (!var->getInit() && it == assigned_.end())
        return false;
    if (var->getInit() && !isTracked(var->getInit(), depth + 1))
        return false;
    if (it != assigned_.end())
        for (const auto *value : it->second)
            if (!value || !isTracked(value, depth + 1))
                return false;
    return true;
}

} // namespace jitprobe::frontend
