// TypeShakingPass: kernel structs a probe touches become minimal CO-RE-relocatable local types.
// One CO-RE read of a task_struct field otherwise makes Clang emit BTF for everything
// task_struct reaches (an 8 KB object grows to 641 KB, codegen from ~35 to ~170 ms).
//
//   before:  struct task_struct *t = (struct task_struct *)bpf_get_current_task();
//            u32 ppid = t->real_parent->tgid;
//   after:   struct task_struct___jp; struct task_struct___jp { struct task_struct___jp *real_parent;
//            pid_t tgid; } __attribute__((preserve_access_index)); struct task_struct___jp *t = ...
//            u32 ppid = t->real_parent->tgid;                          (the first two lines: one)
//
// libbpf strips the "___jp" flavor suffix and relocates every field by name against the
// running kernel's task_struct, looking into anonymous members itself, so fields that sit in
// anonymous structs/unions are flattened into the minimal type. A record is shaken only when
// every use can follow the rename (README "Kernel type shaking"): used through pointers and
// member access only, each `struct R` spelled in the user's text (macro bodies included), no
// sizeof/offsetof/by-value object/array/pointer arithmetic, no bit-field member read, and no
// type from outside the user's file (helper signatures, fields of records kept whole,
// kernel typedefs) naming it. The definitions go on the line of the first top-level
// declaration that uses them; nothing else changes lines. Off with JITPROBE_NO_TYPE_SHAKING.
#include "compiler/passes/Pass.h"

#include <clang/AST/RecursiveASTVisitor.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <optional>
#include <set>

namespace jitprobe::frontend {
namespace {

using clang::QualType;
using clang::RecordDecl;
using RecordFn = std::function<void(const RecordDecl *, bool by_value)>;

// Each record in a type; by_value when not behind a pointer or inside a function type.
void forEachRecord(QualType type, bool by_value, const RecordFn &f) {
    if (type.isNull())
        return;
    const clang::Type *t = type.getCanonicalType().getTypePtr();
    if (const auto *p = llvm::dyn_cast<clang::PointerType>(t))
        return forEachRecord(p->getPointeeType(), false, f);
    if (const auto *a = llvm::dyn_cast<clang::ArrayType>(t))
        return forEachRecord(a->getElementType(), by_value, f);
    if (const auto *at = llvm::dyn_cast<clang::AtomicType>(t))
        return forEachRecord(at->getValueType(), by_value, f);
    if (const auto *fn = llvm::dyn_cast<clang::FunctionType>(t)) {
        forEachRecord(fn->getReturnType(), false, f);
        if (const auto *proto = llvm::dyn_cast<clang::FunctionProtoType>(fn))
            for (QualType param : proto->getParamTypes())
                forEachRecord(param, false, f);
        return;
    }
    if (const auto *r = llvm::dyn_cast<clang::RecordType>(t))
        f(r->getDecl(), by_value);
}

// Each typedef a type is spelled through, pointers, arrays and function types included.
void forEachTypedef(QualType type, const std::function<bool(const clang::TypedefNameDecl *)> &f) {
    if (type.isNull())
        return;
    const clang::Type *t = type.getTypePtr();
    if (const auto *td = llvm::dyn_cast<clang::TypedefType>(t)) {
        if (f(td->getDecl())) // true: look through it
            forEachTypedef(td->desugar(), f);
        return;
    }
    if (const auto *p = llvm::dyn_cast<clang::PointerType>(t))
        return forEachTypedef(p->getPointeeType(), f);
    if (const auto *a = llvm::dyn_cast<clang::ArrayType>(t))
        return forEachTypedef(a->getElementType(), f);
    if (const auto *fn = llvm::dyn_cast<clang::FunctionType>(t)) {
        forEachTypedef(fn->getReturnType(), f);
        if (const auto *proto = llvm::dyn_cast<clang::FunctionProtoType>(fn))
            for (QualType param : proto->getParamTypes())
                forEachTypedef(param, f);
        return;
    }
    QualType next = t->getLocallyUnqualifiedSingleStepDesugaredType(); // sugar: one step
    if (next.getTypePtr() != t)
        forEachTypedef(next, f);
}

const RecordDecl *canonical(const RecordDecl *rd) {
    return llvm::cast<RecordDecl>(rd->getCanonicalDecl());
}

// What the user's code does with one kernel record.
struct RecordUse {
    const RecordDecl *decl = nullptr;                   // the definition when there is one
    std::vector<clang::SourceLocation> spellings;       // name tokens to rename
    std::set<const clang::FieldDecl *> fields;          // used fields (anonymous members flattened)
    bool blocked = false;
};

struct Uses {
    std::map<const RecordDecl *, RecordUse> records;    // by canonical declaration
    // {dependent, base}: a field of base names dependent, so dependent is shaken only if base is.
    std::vector<std::pair<const RecordDecl *, const RecordDecl *>> needs;
    std::vector<std::set<const RecordDecl *>> per_decl; // records each top-level decl mentions

    bool shaken(const RecordDecl *rd) const {
        auto it = records.find(canonical(rd));
        return it != records.end() && !it->second.blocked;
    }
};

// Map methods whose arguments reach helpers as `void *` or as the map's own key/value types.
bool keepsArgumentTypes(llvm::StringRef method) {
    static const std::set<std::string> kMethods = {
        "lookup", "lookup_or_init", "lookup_or_try_init", "update", "insert", "delete",
        "increment", "atomic_increment", "push", "pop", "peek", "sk_storage_get",
        "sk_storage_delete", "inode_storage_get", "inode_storage_delete"};
    return kMethods.count(method.str()) != 0;
}

// A non-static function whose typed arguments KprobeArgsPass turns into locals.
bool takesKprobeArgs(const clang::FunctionDecl *fn) {
    if (fn->getNumParams() < 2)
        return false;
    QualType type = fn->getParamDecl(0)->getType();
    const auto *record = type->isPointerType() ? type->getPointeeType()->getAsRecordDecl() : nullptr;
    return record && record->getName() == "pt_regs";
}

class UseCollector : public clang::RecursiveASTVisitor<UseCollector> {
  public:
    UseCollector(PassContext &ctx, Uses &uses) : ctx_(ctx), sm_(ctx.ast.getSourceManager()), uses_(uses) {}

    void collect() {
        for (auto *decl : ctx_.userDecls()) {
            current_ = uses_.per_decl.size();
            uses_.per_decl.emplace_back();
            TraverseDecl(decl);
        }
    }

    bool VisitRecordTypeLoc(clang::RecordTypeLoc tl) {
        const RecordDecl *rd = tl.getDecl();
        if (!isKernelRecord(rd))
            return true;
        mentionRecord(rd);
        auto loc = renameLocation(tl.getNameLoc(), rd->getName());
        if (loc)
            use(rd).spellings.push_back(*loc);
        else
            block(rd);
        return true;
    }

    bool VisitDeclaratorDecl(clang::DeclaratorDecl *d) {
        declaredType(d->getType());
        if (const auto *fn = llvm::dyn_cast<clang::FunctionDecl>(d))
            blockByValue(fn->getReturnType());
        else
            blockByValue(d->getType());
        return true;
    }

    bool VisitTypedefNameDecl(clang::TypedefNameDecl *d) {
        declaredType(d->getUnderlyingType());
        return true;
    }

    bool VisitFunctionDecl(clang::FunctionDecl *fn) {
        if (!fn->hasBody()) { // extern functions and kfuncs: their BTF must match the kernel's
            blockAll(fn->getType());
            return true;
        }
        if (fn->getStorageClass() == clang::SC_Static || !fn->isThisDeclarationADefinition())
            return true;
        // Programs: the verifier checks the context parameter's type by name.
        bool kprobe_args = takesKprobeArgs(fn);
        for (unsigned i = 0; i < fn->getNumParams(); ++i)
            if (i == 0 || !kprobe_args)
                blockAll(fn->getParamDecl(i)->getType());
        return true;
    }

    bool VisitVarDecl(clang::VarDecl *var) {
        if (var->hasExternalStorage()) // ksyms: libbpf checks their types against the kernel's
            blockAll(var->getType());
        return true;
    }

    bool VisitExpr(clang::Expr *e) {
        QualType type = e->getType();
        if (type.isNull())
            return true;
        declaredType(type);
        bool record_itself = type->isRecordType();
        forEachRecord(type, true, [&](const RecordDecl *rd, bool by_value) {
            if (by_value && !(record_itself && allowed_.count(e)))
                block(rd);
        });
        return true;
    }

    bool VisitMemberExpr(clang::MemberExpr *e) {
        if (!e->isArrow())
            allow(e->getBase());
        const auto *field = llvm::dyn_cast<clang::FieldDecl>(e->getMemberDecl());
        if (!field || field->isAnonymousStructOrUnion())
            return true; // an anonymous member: its own fields are attributed below
        const RecordDecl *named = field->getParent();
        while (named && named->isAnonymousStructOrUnion())
            named = llvm::dyn_cast<RecordDecl>(named->getParent());
        if (named && ctx_.inMainFile(named->getLocation()))
            return true; // the user's own struct: its field types are the user's text
        if (!named || !isKernelRecord(named)) {
            blockAll(field->getType());
            return true;
        }
        use(named).fields.insert(field);
        if (field->isBitField() || field->getType()->isIncompleteArrayType())
            block(named);
        forEachRecord(field->getType(), true, [&](const RecordDecl *rd, bool) {
            if (isKernelRecord(rd))
                uses_.needs.push_back({canonical(rd), canonical(named)});
        });
        return true;
    }

    bool VisitUnaryOperator(clang::UnaryOperator *u) {
        if (u->getOpcode() == clang::UO_AddrOf)
            allow(u->getSubExpr());
        if (u->isIncrementDecrementOp())
            blockPointee(u->getSubExpr()->getType());
        return true;
    }

    bool VisitBinaryOperator(clang::BinaryOperator *b) {
        auto op = b->getOpcode();
        if (b->isAdditiveOp() || op == clang::BO_AddAssign || op == clang::BO_SubAssign) {
            blockPointee(b->getLHS()->getType());
            blockPointee(b->getRHS()->getType());
        }
        return true;
    }

    bool VisitArraySubscriptExpr(clang::ArraySubscriptExpr *e) {
        blockPointee(e->getBase()->getType());
        blockPointee(e->getIdx()->getType());
        return true;
    }

    bool VisitUnaryExprOrTypeTraitExpr(clang::UnaryExprOrTypeTraitExpr *e) {
        if (e->isArgumentType())
            blockByValue(e->getArgumentType());
        return true;
    }

    bool VisitOffsetOfExpr(clang::OffsetOfExpr *e) {
        blockAll(e->getTypeSourceInfo()->getType());
        for (unsigned i = 0; i < e->getNumComponents(); ++i)
            if (e->getComponent(i).getKind() == clang::OffsetOfNode::Field)
                blockAll(ctx_.ast.getRecordType(e->getComponent(i).getField()->getParent()));
        return true;
    }

    bool VisitDeclRefExpr(clang::DeclRefExpr *e) {
        if (!ctx_.inMainFile(e->getDecl()->getLocation()))
            blockAll(e->getDecl()->getType()); // helpers: bpf_get_current_task_btf() ...
        return true;
    }

    bool VisitCallExpr(clang::CallExpr *call) {
        if (const auto *callee = call->getDirectCallee()) {
            llvm::StringRef name = callee->getName();
            if (name.startswith("__builtin_btf_type_id") || name.startswith("__builtin_preserve_type_info"))
                blockArguments(call);
        }
        const auto *member = llvm::dyn_cast<clang::MemberExpr>(call->getCallee()->IgnoreParenImpCasts());
        const auto *map = member ? llvm::dyn_cast<clang::DeclRefExpr>(member->getBase()->IgnoreParenImpCasts())
                                 : nullptr;
        if (map && mapKindOf(llvm::dyn_cast<clang::VarDecl>(map->getDecl())) &&
            !keepsArgumentTypes(member->getMemberDecl()->getName()))
            blockArguments(call); // e.g. task_storage_get: bpf_task_storage_get(struct task_struct *)
        return true;
    }

    bool isKernelRecord(const RecordDecl *rd) {
        rd = canonical(rd);
        auto cached = kernel_.find(rd);
        if (cached != kernel_.end())
            return cached->second;
        const RecordDecl *def = rd->getDefinition() ? rd->getDefinition() : rd;
        llvm::StringRef name = def->getName();
        bool kernel = def->getIdentifier() && !def->isAnonymousStructOrUnion() &&
                      !name.startswith("bpf_iter__") && !isBpfContextType(name) &&
                      !name.contains("___") &&
                      isKernelTypesFile(sm_.getFilename(sm_.getSpellingLoc(def->getLocation())));
        return kernel_[rd] = kernel;
    }

  private:
    RecordUse &use(const RecordDecl *rd) {
        auto &u = uses_.records[canonical(rd)];
        if (!u.decl)
            u.decl = rd->getDefinition() ? rd->getDefinition() : rd;
        return u;
    }

    void mentionRecord(const RecordDecl *rd) {
        use(rd);
        uses_.per_decl[current_].insert(canonical(rd));
    }

    void block(const RecordDecl *rd) {
        if (isKernelRecord(rd))
            use(rd).blocked = true;
    }

    void blockAll(QualType type) {
        forEachRecord(type, true, [&](const RecordDecl *rd, bool) { block(rd); });
    }

    void blockByValue(QualType type) {
        forEachRecord(type, true, [&](const RecordDecl *rd, bool by_value) {
            if (by_value)
                block(rd);
        });
    }

    // Pointer arithmetic steps by the pointee's size, which a minimal type does not have.
    void blockPointee(QualType type) {
        if (const auto *p = type->getAs<clang::PointerType>())
            blockByValue(p->getPointeeType());
    }

    void blockArguments(const clang::CallExpr *call) {
        for (const auto *arg : call->arguments())
            blockAll(arg->getType());
    }

    // Records a declared or computed type mentions; those behind a typedef from outside the
    // user's file keep the kernel's name there, so they stay whole.
    void declaredType(QualType type) {
        forEachRecord(type, true, [&](const RecordDecl *rd, bool) {
            if (isKernelRecord(rd))
                mentionRecord(rd);
        });
        forEachTypedef(type, [&](const clang::TypedefNameDecl *td) {
            if (ctx_.inMainFile(td->getLocation()))
                return true;
            blockAll(td->getUnderlyingType());
            return false;
        });
    }

    // The file location of a record name the user wrote: directly, as a macro argument, or in
    // the body of a macro the user defined. Renaming a macro body renames every expansion; that
    // is sound because each expansion that names the record is a use visited here too (one
    // that cannot follow the rename blocks the record, and then nothing is renamed).
    std::optional<clang::SourceLocation> renameLocation(clang::SourceLocation loc, llvm::StringRef name) {
        while (loc.isMacroID())
            loc = sm_.isMacroArgExpansion(loc) ? sm_.getImmediateSpellingLoc(loc)
                                               : sm_.getSpellingLoc(loc);
        if (!sm_.isWrittenInMainFile(loc))
            return std::nullopt;
        bool invalid = false;
        const char *text = sm_.getCharacterData(loc, &invalid);
        if (invalid || llvm::StringRef(text).substr(0, name.size()) != name)
            return std::nullopt;
        return loc;
    }

    // A by-value record expression is fine as the base of `.` or the operand of `&`.
    void allow(const clang::Expr *e) {
        for (;;) {
            allowed_.insert(e);
            const auto *paren = llvm::dyn_cast<clang::ParenExpr>(e);
            if (!paren)
                return;
            e = paren->getSubExpr();
        }
    }

    PassContext &ctx_;
    const clang::SourceManager &sm_;
    Uses &uses_;
    size_t current_ = 0;
    std::set<const clang::Expr *> allowed_;
    std::map<const RecordDecl *, bool> kernel_;
};

} // namespace

namespace {

// The minimal definitions and where they go, once the shaken set is final.
class DefinitionWriter {
  public:
    DefinitionWriter(PassContext &ctx, const Uses &uses) : ctx_(ctx), uses_(uses) {
        policy_.SuppressTagKeyword = false;
    }

    // A field's declaration as the kernel spells it, or "" when it cannot be printed.
    std::string fieldText(const clang::FieldDecl *field) const {
        std::string text;
        llvm::raw_string_ostream os(text);
        field->getType().print(os, policy_, field->getName());
        os.flush();
        if (text.find("(unnamed") != std::string::npos || text.find("(anonymous") != std::string::npos)
            return "";
        return text;
    }

    // Would a macro the user (or the dialect) defined change this text?
    bool clashesWithMacro(const std::string &text) const {
        for (size_t i = 0; i < text.size();) {
            if (!std::isalpha(static_cast<unsigned char>(text[i])) && text[i] != '_') {
                ++i;
                continue;
            }
            size_t end = i;
            while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_'))
                ++end;
            if (ctx_.isMacroDefined(text.substr(i, end - i)))
                return true;
            i = end;
        }
        return false;
    }

    // Forward declarations of every shaken record, then definitions of those with fields or
    // embedded by value, each after the records it embeds.
    std::string text() {
        std::vector<const RecordUse *> shaken;
        for (const auto &[decl, use] : uses_.records)
            if (!use.blocked)
                shaken.push_back(&use);
        std::sort(shaken.begin(), shaken.end(), [](const auto *a, const auto *b) {
            return a->decl->getName() < b->decl->getName();
        });
        std::string out;
        for (const auto *use : shaken)
            out += keyword(use->decl) + " " + use->decl->getName().str() + kShakenSuffix + "; ";
        for (const auto *use : shaken)
            if (!use->fields.empty())
                define(*use, out);
        return out;
    }

    // Fields of rd in declaration order, anonymous members flattened.
    static void flatten(const RecordDecl *rd, std::vector<const clang::FieldDecl *> &out) {
        for (const auto *field : rd->fields()) {
            const auto *inner = field->getType()->getAsRecordDecl();
            if (field->isAnonymousStructOrUnion() && inner)
                flatten(inner, out);
            else
                out.push_back(field);
        }
    }

  private:
    static std::string keyword(const RecordDecl *rd) { return rd->isUnion() ? "union" : "struct"; }

    void define(const RecordUse &use, std::string &out) {
        if (!defined_.insert(use.decl).second)
            return;
        std::vector<const clang::FieldDecl *> fields;
        flatten(use.decl, fields);
        std::string body;
        for (const auto *field : fields) {
            if (!use.fields.count(field))
                continue;
            // Embedded by value: the embedded record must be complete first.
            forEachRecord(field->getType(), true, [&](const RecordDecl *rd, bool by_value) {
                auto it = uses_.records.find(canonical(rd));
                if (by_value && it != uses_.records.end() && !it->second.blocked)
                    define(it->second, out);
            });
            body += " " + applyRecordRenames(fieldText(field), ctx_.renamed_records) + ";";
        }
        out += keyword(use.decl) + " " + use.decl->getName().str() + kShakenSuffix + " {" + body +
               " } __attribute__((preserve_access_index)); ";
    }

    PassContext &ctx_;
    const Uses &uses_;
    clang::PrintingPolicy policy_{ctx_.ast.getLangOpts()};
    std::set<const RecordDecl *> defined_;
};

class TypeShakingPass : public AstPass {
  public:
    const char *name() const override { return "TypeShakingPass"; }

    void run(PassContext &ctx) override {
        if (ctx.isMacroDefined("JITPROBE_NO_TYPE_SHAKING"))
            return;
        Uses uses;
        UseCollector(ctx, uses).collect();
        DefinitionWriter writer(ctx, uses);
        blockUnprintable(uses, writer);
        settle(uses);
        std::vector<const RecordUse *> shaken;
        for (const auto &[decl, use] : uses.records)
            if (!use.blocked) {
                shaken.push_back(&use);
                ctx.renamed_records.push_back(use.decl->getName().str());
            }
        if (shaken.empty())
            return;
        auto at = insertionPoint(ctx, uses);
        if (!at) { // no top-level declaration to put them before: keep the kernel's types
            ctx.renamed_records.clear();
            return;
        }
        ctx.late_inserts.push_back({*at, writer.text()});
        rename(ctx, shaken);
    }

  private:
    // Fields that cannot be written back as C (unnamed record types, flexible arrays) or whose
    // text a macro would change keep their record whole.
    static void blockUnprintable(Uses &uses, const DefinitionWriter &writer) {
        for (auto &[decl, use] : uses.records)
            for (const auto *field : use.fields) {
                std::string text = writer.fieldText(field);
                if (text.empty() || writer.clashesWithMacro(text + " " + use.decl->getName().str()))
                    use.blocked = true;
            }
    }

    // A record kept whole keeps the records its used fields name whole: to a fixed point.
    static void settle(Uses &uses) {
        for (bool changed = true; changed;) {
            changed = false;
            for (const auto &[dependent, base] : uses.needs) {
                auto dep = uses.records.find(dependent);
                if (dep != uses.records.end() && !dep->second.blocked && !uses.shaken(base)) {
                    dep->second.blocked = true;
                    changed = true;
                }
            }
        }
    }

    // Before the first top-level declaration (attributes included) that mentions a shaken record.
    static std::optional<clang::SourceLocation> insertionPoint(PassContext &ctx, const Uses &uses) {
        auto decls = ctx.userDecls();
        auto &sm = ctx.ast.getSourceManager();
        for (size_t i = 0; i < decls.size() && i < uses.per_decl.size(); ++i) {
            bool mentions = std::any_of(uses.per_decl[i].begin(), uses.per_decl[i].end(),
                                        [&](const RecordDecl *rd) { return uses.shaken(rd); });
            if (!mentions)
                continue;
            clang::SourceLocation loc = sm.getExpansionLoc(decls[i]->getBeginLoc());
            for (const auto *attr : decls[i]->attrs()) {
                clang::SourceLocation begin = attr->getRange().getBegin();
                if (begin.isValid() && sm.isWrittenInMainFile(sm.getExpansionLoc(begin)) &&
                    sm.isBeforeInTranslationUnit(sm.getExpansionLoc(begin), loc))
                    loc = sm.getExpansionLoc(begin);
            }
            if (!sm.isWrittenInMainFile(loc))
                return std::nullopt;
            return loc;
        }
        return std::nullopt;
    }

    static void rename(PassContext &ctx, const std::vector<const RecordUse *> &shaken) {
        std::set<unsigned> done; // a macro argument expanded several times is one token
        for (const auto *use : shaken)
            for (auto loc : use->spellings)
                if (done.insert(loc.getRawEncoding()).second) {
                    std::string name = use->decl->getName().str();
                    ctx.rewriter.ReplaceText(loc, static_cast<unsigned>(name.size()), name + kShakenSuffix);
                }
    }
};

} // namespace

std::unique_ptr<AstPass> createTypeShakingPass() { return std::make_unique<TypeShakingPass>(); }

} // namespace jitprobe::frontend
