// PacketHeaderPass: members of packet-header structs (BPF_PACKET_HEADER: <bcc/proto.h>'s
// ethernet_t, ip_t, udp_t ...) reached through a cursor pointer are packet fields, as in BCC:
// reads become bpf_dext_pkt, writes bpf_dins_pkt (jitprobe/packet.h), with the field's byte
// offset, bit offset and bit width, on the function's skb context (its first parameter, a
// `struct __sk_buff *` or BCC's `void *ctx`).
//
//   before:  if (ip->nextp == 17)                 ip->src = ip->dst;
//   after:   if (bpf_dext_pkt(skb, (u64)ip + 9, 0, 8) == 17)
//            bpf_dins_pkt(skb, (u64)ip + 12, 0, 32, bpf_dext_pkt(skb, (u64)ip + 16, 0, 32));
//
// Only `p->member` on a pointer to such a struct: a struct copied to the stack is plain memory.
// KernelDerefPass leaves these members alone (they are offsets, never kernel pointers).
#include "compiler/passes/Pass.h"

#include <clang/AST/RecursiveASTVisitor.h>

#include <set>

namespace jitprobe::frontend {
namespace {

enum class Access { Read, Assign, CompoundAssign, IncDec, Call };

struct AccessRule {
    Access access;
    // Replaces the member (a read) or the member and the operator (a write). {ctx} is the
    // context parameter, {addr} `(u64)base + byte`, {bit} and {size} the field's bits, {op}
    // a compound assignment's arithmetic operator.
    std::string_view head;
    std::string_view tail; // inserted after the whole expression
};

constexpr AccessRule kRules[] = {
    //   ip->ttl  ->  bpf_dext_pkt(skb, (u64)ip + 8, 0, 8)
    {Access::Read, "bpf_dext_pkt({ctx}, {addr}, {bit}, {size})", ""},
    //   ip->ttl = v  ->  bpf_dins_pkt(skb, (u64)ip + 8, 0, 8, v)
    {Access::Assign, "bpf_dins_pkt({ctx}, {addr}, {bit}, {size}, ", ")"},
    //   ip->ttl -= v  ->  bpf_dins_pkt(skb, (u64)ip + 8, 0, 8, bpf_dext_pkt(skb, ...) - (v))
    {Access::CompoundAssign,
     "bpf_dins_pkt({ctx}, {addr}, {bit}, {size}, bpf_dext_pkt({ctx}, {addr}, {bit}, {size}) {op} (",
     "))"},
};

// BCC's checksum updates after changing a field: calls that need the skb. {N} is argument N,
// {size} the byte size of the new value's type (as BCC's sizeof(new)).
struct CallRule {
    std::string_view function;
    std::string_view pattern;
};

constexpr CallRule kCalls[] = {
    //   incr_cksum_l3(&ip->hchecksum, old, new)
    //     ->  __jp_l3_csum_replace(skb, (u64)(&ip->hchecksum), old, new, 4)
    {"incr_cksum_l3", "__jp_l3_csum_replace({ctx}, (u64)({0}), {1}, {2}, {size})"},
    //   incr_cksum_l4(&udp->crc, old, new, 1)   (1: a pseudo-header field, BPF_F_PSEUDO_HDR)
    //     ->  __jp_l4_csum_replace(skb, (u64)(&udp->crc), old, new, (((1) & 0x1) << 4) | 4)
    {"incr_cksum_l4", "__jp_l4_csum_replace({ctx}, (u64)({0}), {1}, {2}, ((({3}) & 0x1) << 4) | {size})"},
};

const CallRule *callRule(const clang::CallExpr *call) {
    const auto *fn = call->getDirectCallee();
    if (!fn || !fn->getIdentifier())
        return nullptr;
    for (const auto &rule : kCalls)
        if (fn->getName() == llvm::StringRef(rule.function.data(), rule.function.size()))
            return &rule;
    return nullptr;
}

const AccessRule *ruleFor(Access access) {
    for (const auto &rule : kRules)
        if (rule.access == access)
            return &rule;
    return nullptr;
}

struct Field {
    std::string ctx, addr, op;
    uint64_t bit = 0, size = 0;
};

std::string expand(std::string_view pattern, const Field &f, const std::vector<std::string> &args = {}) {
    return expandPlaceholders(pattern, [&](std::string_view key) -> std::string {
        if (key.size() == 1 && key[0] >= '0' && key[0] <= '9')
            return size_t(key[0] - '0') < args.size() ? args[key[0] - '0'] : std::string();
        return key == "ctx"   ? f.ctx
               : key == "addr" ? f.addr
               : key == "op"   ? f.op
               : key == "bit"  ? std::to_string(f.bit)
                               : std::to_string(f.size);
    });
}

struct PacketAccess {
    Access access;
    const clang::MemberExpr *member;
    const clang::Expr *whole; // the member (read) or the assignment / increment
    const clang::FunctionDecl *fn;
};

// `p->member` with p a pointer to a packet-header struct.
const clang::MemberExpr *packetMember(const clang::Expr *e) {
    const auto *m = llvm::dyn_cast<clang::MemberExpr>(e->IgnoreParens());
    if (!m || !m->isArrow() || !llvm::isa<clang::FieldDecl>(m->getMemberDecl()))
        return nullptr;
    return isPacketHeaderPointer(m->getBase()->getType()) ? m : nullptr;
}

class AccessFinder : public clang::RecursiveASTVisitor<AccessFinder> {
  public:
    explicit AccessFinder(std::vector<PacketAccess> &out) : out_(out) {}
    void scan(const clang::FunctionDecl *fn) {
        fn_ = fn;
        TraverseStmt(fn->getBody());
    }

    bool TraverseUnaryExprOrTypeTraitExpr(clang::UnaryExprOrTypeTraitExpr *) { return true; }
    bool TraverseTypeOfExprTypeLoc(clang::TypeOfExprTypeLoc) { return true; }

    bool VisitImplicitCastExpr(clang::ImplicitCastExpr *cast) {
        if (cast->getCastKind() == clang::CK_LValueToRValue)
            if (const auto *m = packetMember(cast->getSubExpr()))
                out_.push_back({Access::Read, m, m, fn_});
        return true;
    }
    bool VisitBinaryOperator(clang::BinaryOperator *b) {
        if (b->isAssignmentOp())
            if (const auto *m = packetMember(b->getLHS()))
                out_.push_back({b->isCompoundAssignmentOp() ? Access::CompoundAssign : Access::Assign, m, b, fn_});
        return true;
    }
    bool VisitCallExpr(clang::CallExpr *call) {
        if (callRule(call))
            out_.push_back({Access::Call, nullptr, call, fn_});
        return true;
    }
    bool VisitUnaryOperator(clang::UnaryOperator *u) {
        if (u->isIncrementDecrementOp())
            if (const auto *m = packetMember(u->getSubExpr()))
                out_.push_back({Access::IncDec, m, u, fn_});
        return true;
    }

  private:
    std::vector<PacketAccess> &out_;
    const clang::FunctionDecl *fn_ = nullptr;
};

class PacketHeaderPass : public AstPass {
  public:
    const char *name() const override { return "PacketHeaderPass"; }

    void run(PassContext &ctx) override {
        std::vector<PacketAccess> accesses;
        AccessFinder finder(accesses);
        for (auto *decl : ctx.userDecls()) {
            const auto *fn = llvm::dyn_cast<clang::FunctionDecl>(decl);
            if (fn && fn->doesThisDeclarationHaveABody())
                finder.scan(fn);
        }
        // Reads first: they sit inside the writes' right-hand sides, which writes keep as text.
        std::set<std::pair<unsigned, unsigned>> done; // once per spelling (macro arguments)
        for (bool reads : {true, false})
            for (auto it = accesses.rbegin(); it != accesses.rend(); ++it)
                if ((it->access == Access::Read) == reads)
                    rewrite(ctx, *it, done);
    }

  private:
    static void rewrite(PassContext &ctx, const PacketAccess &a, std::set<std::pair<unsigned, unsigned>> &done) {
        auto whole = ctx.fileRange(a.whole->getSourceRange());
        if (whole.isValid() &&
            !done.insert({whole.getBegin().getRawEncoding(), whole.getEnd().getRawEncoding()}).second)
            return;
        if (a.access == Access::Call)
            return rewriteCall(ctx, a);
        auto base = ctx.fileRange(a.member->getBase()->getSourceRange());
        std::string what = "packet header field '" + a.member->getMemberDecl()->getNameAsString() + "'";
        if (whole.isInvalid() || base.isInvalid()) {
            ctx.report(a.whole->getBeginLoc(), Diagnostic::Severity::Error,
                       what + " is used inside a macro expansion and cannot be rewritten",
                       "read or write packet header fields directly in the function body");
            return;
        }
        if (a.access == Access::IncDec) {
            ctx.report(a.whole->getBeginLoc(), Diagnostic::Severity::Error,
                       what + ": ++ and -- are not supported on packet fields",
                       "assign instead, e.g. 'ip->ttl = ip->ttl - 1;' or 'ip->ttl -= 1;'");
            return;
        }
        std::optional<Field> field = describe(ctx, a, ctx.rewriter.getRewrittenText(base));
        if (!field)
            return;
        const AccessRule *rule = ruleFor(a.access);
        if (a.access == Access::Read) {
            ctx.rewriter.ReplaceText(whole, expand(rule->head, *field));
            return;
        }
        const auto *assign = llvm::cast<clang::BinaryOperator>(a.whole);
        auto head = ctx.fileRange({assign->getBeginLoc(), assign->getOperatorLoc()});
        if (head.isInvalid())
            return;
        ctx.rewriter.ReplaceText(head, expand(rule->head, *field));
        ctx.rewriter.InsertTextAfter(whole.getEnd(), std::string(rule->tail));
    }

    // The field's place in the packet and the context it is read through, or an error.
    static std::optional<Field> describe(PassContext &ctx, const PacketAccess &a, const std::string &base) {
        const auto *field = llvm::cast<clang::FieldDecl>(a.member->getMemberDecl());
        std::string name = field->getNameAsString();
        std::optional<std::string> skb = skbParameter(a.fn);
        if (!skb) {
            noSkb(ctx, a.member->getBeginLoc(), "packet header field '" + name + "' of '" +
                      a.member->getBase()->getType()->getPointeeType().getAsString() + "'", a.fn);
            return std::nullopt;
        }
        Field f;
        uint64_t offset = ctx.ast.getFieldOffset(field);
        f.size = field->isBitField() ? field->getBitWidthValue(ctx.ast) : ctx.ast.getTypeSize(field->getType());
        if (f.size == 0 || f.size > 64 || (offset % 8) + f.size > 64) {
            ctx.report(a.member->getMemberLoc(), Diagnostic::Severity::Error,
                       "packet header field '" + name + "' is " + std::to_string(f.size) +
                           " bits: packet fields are read and written as at most 64 bits",
                       "read wider fields with bpf_skb_load_bytes");
            return std::nullopt;
        }
        f.ctx = *skb;
        f.bit = offset % 8;
        const clang::Expr *b = a.member->getBase()->IgnoreImpCasts();
        bool plain = llvm::isa<clang::DeclRefExpr>(b) || llvm::isa<clang::ParenExpr>(b);
        f.addr = (plain ? "(u64)" + base : "(u64)(" + base + ")") + " + " + std::to_string(offset / 8);
        if (const auto *compound = llvm::dyn_cast<clang::CompoundAssignOperator>(a.whole))
            f.op = clang::BinaryOperator::getOpcodeStr(
                       clang::BinaryOperator::getOpForCompoundAssignment(compound->getOpcode())).str();
        return f;
    }

    static void noSkb(PassContext &ctx, clang::SourceLocation loc, const std::string &what,
                      const clang::FunctionDecl *fn) {
        std::string name = fn->getNameAsString();
        ctx.report(loc, Diagnostic::Severity::Error,
                   what + " needs the packet: function '" + name + "' has no 'struct __sk_buff *' first parameter",
                   "packet cursors work in socket filters and tc programs: declare 'int " + name +
                       "(struct __sk_buff *skb, ...)'");
    }

    static void rewriteCall(PassContext &ctx, const PacketAccess &a) {
        const auto *call = llvm::cast<clang::CallExpr>(a.whole);
        const CallRule *rule = callRule(call);
        std::string what = "'" + std::string(rule->function) + "'";
        auto range = ctx.fileRange(call->getSourceRange());
        std::vector<std::string> args;
        for (const auto *arg : call->arguments()) {
            auto arg_range = ctx.fileRange(arg->getSourceRange());
            range = arg_range.isValid() ? range : clang::CharSourceRange();
            args.push_back(arg_range.isValid() ? ctx.rewriter.getRewrittenText(arg_range) : "");
        }
        if (range.isInvalid() || args.size() < 3) {
            ctx.report(call->getBeginLoc(), Diagnostic::Severity::Error,
                       what + " inside a macro expansion cannot be rewritten",
                       "call it directly in the function body");
            return;
        }
        std::optional<std::string> skb = skbParameter(a.fn);
        if (!skb)
            return noSkb(ctx, call->getBeginLoc(), what, a.fn);
        Field f;
        f.ctx = *skb;
        f.size = ctx.ast.getTypeSizeInChars(call->getArg(2)->IgnoreImpCasts()->getType()).getQuantity();
        ctx.rewriter.ReplaceText(range, expand(rule->pattern, f, args));
    }

    // The first parameter's name when it is the skb: `struct __sk_buff *` or `void *` (BCC's
    // test programs take `void *ctx` and are loaded as tc classifiers).
    static std::optional<std::string> skbParameter(const clang::FunctionDecl *fn) {
        if (fn->getNumParams() == 0 || fn->getParamDecl(0)->getName().empty())
            return std::nullopt;
        clang::QualType type = fn->getParamDecl(0)->getType();
        if (!type->isPointerType())
            return std::nullopt;
        clang::QualType pointee = type->getPointeeType();
        const auto *record = pointee->getAsRecordDecl();
        if (!pointee->isVoidType() && !(record && record->getName() == "__sk_buff"))
            return std::nullopt;
        return fn->getParamDecl(0)->getNameAsString();
    }
};

} // namespace

std::unique_ptr<AstPass> createPacketHeaderPass() { return std::make_unique<PacketHeaderPass>(); }

} // namespace jitprobe::frontend
