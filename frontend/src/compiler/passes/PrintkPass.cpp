// PrintkPass: bpf_trace_printk / bpf_printk become records on a hidden per-run ring buffer,
// formatted by the runtime (issue 19 item 2): trace_pipe is one text stream shared by every
// tracer on the host, so lines read from it can be forged by any string a probe prints, and
// other programs' lines mix in. bcc.h turns both names into calls of the undefined
// `__jp_printk`, which this pass replaces (an unreplaced call fails to load, never prints).
//
//   before:  bpf_trace_printk("open %s by %d\n", fn, pid);
//   after:   ({ struct { struct __jp_printk_head h; char a0[64]; __u64 a1; } *__jp_p =
//               bpf_ringbuf_reserve(&__jp_printk_ring, sizeof(*__jp_p), 0); ...
//               __jp_printk_str(__jp_p->a0, (fn)); __jp_p->a1 = (__u64)(pid); submit ... })
//   (all on the call's line; the format itself goes into ProgramInfo::printk_formats)
//
// With JITPROBE_TRACE_PIPE_PRINTK defined, calls stay the kernel's bpf_trace_printk (read
// with `jitprobe run --trace-pipe`).
#include "compiler/passes/Pass.h"
#include "jitprobe/common/PrintkFormat.h"

#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Basic/TargetInfo.h>

#include <algorithm>

namespace jitprobe::frontend {
namespace {

using common::PrintkArg;

// How one argument is stored, by its conversion: a typed rule each.
struct ArgRule {
    PrintkArg kind;
    const char *field;  // member declaration, {i} the argument index
    const char *store;  // statement filling it from {arg}
    bool packet_ok;     // allowed in packet programs (no probe reads there)
};

constexpr ArgRule kArgRules[] = {
    {PrintkArg::Signed, "__u64 a{i};", "__jp_p->a{i} = (__u64)({arg});", true},
    {PrintkArg::Unsigned, "__u64 a{i};", "__jp_p->a{i} = (__u64)({arg});", true},
    {PrintkArg::Char, "__u64 a{i};", "__jp_p->a{i} = (__u64)({arg});", true},
    {PrintkArg::Pointer, "__u64 a{i};", "__jp_p->a{i} = (__u64)(unsigned long)({arg});", true},
    {PrintkArg::String, "char a{i}[64];", "__jp_printk_str(__jp_p->a{i}, ({arg}));", false},
};
static_assert(common::kPrintkStringSize == 64, "kArgRules' string field size");

const ArgRule &ruleFor(PrintkArg kind) {
    return *std::find_if(std::begin(kArgRules), std::end(kArgRules),
                         [kind](const ArgRule &r) { return r.kind == kind; });
}

std::string fill(std::string pattern, const std::string &index, const std::string &arg) {
    for (auto [key, value] : {std::pair<std::string, std::string>{"{i}", index}, {"{arg}", arg}})
        for (size_t at; (at = pattern.find(key)) != std::string::npos;)
            pattern.replace(at, key.size(), value);
    return pattern;
}

constexpr const char *kHostMacro = "JITPROBE_TRACE_PIPE_PRINTK";
constexpr const char *kDeclarations =
    "struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 256 * 1024); } "
    "__jp_printk_ring SEC(\".maps\"); __u64 __jp_printk_lost SEC(\".data.jp_printk\"); ";

struct PrintkCall {
    const clang::CallExpr *call;
    const clang::FunctionDecl *function;
};

class PrintkFinder : public clang::RecursiveASTVisitor<PrintkFinder> {
  public:
    PrintkFinder(std::vector<PrintkCall> &calls, const clang::FunctionDecl *fn)
        : calls_(calls), fn_(fn) {}
    bool VisitCallExpr(clang::CallExpr *call) {
        const auto *callee = call->getDirectCallee();
        if (callee && callee->getName() == "__jp_printk")
            calls_.push_back({call, fn_});
        return true;
    }

  private:
    std::vector<PrintkCall> &calls_;
    const clang::FunctionDecl *fn_;
};

class PrintkPass : public AstPass {
  public:
    const char *name() const override { return "PrintkPass"; }

    void run(PassContext &ctx) override {
        std::vector<PrintkCall> calls;
        for (auto *decl : ctx.userDecls())
            if (auto *fn = llvm::dyn_cast<clang::FunctionDecl>(decl); fn && fn->hasBody()) {
                PrintkFinder finder(calls, fn);
                finder.TraverseDecl(fn);
            }
        if (calls.empty())
            return;
        bool host = ctx.isMacroDefined(kHostMacro);
        const clang::FunctionDecl *first = nullptr;
        auto &sm = ctx.ast.getSourceManager();
        for (const auto &call : calls) {
            if (!rewrite(ctx, call, host) || host)
                continue;
            auto loc = sm.getExpansionLoc(call.function->getBeginLoc());
            if (!first || sm.isBeforeInTranslationUnit(loc, sm.getExpansionLoc(first->getBeginLoc())))
                first = call.function;
        }
        // The ring buffer and the loss counter, declared before the first function using them.
        if (first)
            ctx.late_inserts.emplace_back(sm.getExpansionLoc(first->getBeginLoc()), kDeclarations);
    }

  private:
    bool rewrite(PassContext &ctx, const PrintkCall &pc, bool host) {
        const clang::CallExpr *call = pc.call;
        auto &sm = ctx.ast.getSourceManager();
        auto range = sm.getExpansionRange(call->getSourceRange());
        const auto *lit = call->getNumArgs() > 0
                              ? llvm::dyn_cast<clang::StringLiteral>(call->getArg(0)->IgnoreParenImpCasts())
                              : nullptr;
        if (!lit || lit->getCharByteWidth() != 1) {
            ctx.report(call->getBeginLoc(), Diagnostic::Severity::Error,
                       "bpf_trace_printk: the format must be a string literal");
            return false;
        }
        // Written in the file itself (bpf_trace_printk is bcc.h's macro): not by a user macro.
        clang::SourceLocation begin = call->getBeginLoc();
        bool direct = !begin.isMacroID() || sm.getImmediateExpansionRange(begin).getBegin().isFileID();
        std::vector<std::string> args;
        for (unsigned i = 1; i < call->getNumArgs(); ++i) {
            auto arg_range = direct ? ctx.writtenRange(call->getArg(i)->getSourceRange()) : clang::CharSourceRange();
            if (arg_range.isInvalid() || !ctx.inMainFile(range.getBegin())) {
                ctx.report(call->getBeginLoc(), Diagnostic::Severity::Error,
                           "bpf_trace_printk inside a macro expansion or an included file cannot "
                           "be rewritten",
                           "call bpf_trace_printk directly in the probe source");
                return false;
            }
            args.push_back(ctx.rewriter.getRewrittenText(arg_range));
        }
        if (!ctx.inMainFile(range.getBegin()) || ctx.fileRange(call->getSourceRange()).isInvalid()) {
            ctx.report(call->getBeginLoc(), Diagnostic::Severity::Error,
                       "bpf_trace_printk inside a macro expansion or an included file cannot be "
                       "rewritten",
                       "call bpf_trace_printk directly in the probe source");
            return false;
        }
        std::string fmt = lit->getString().str();
        if (host) {
            ctx.rewriter.ReplaceText(range, kernelPrintkText(ctx, lit, args));
            return true;
        }
        common::PrintkFormat format = common::parsePrintkFormat(fmt);
        FormatCheck checked = checkFormat(ctx, pc, lit, format, args.size());
        if (checked == FormatCheck::Failed)
            return false;
        std::string text = checked == FormatCheck::KernelRejects ? rejectedText(args)
                                                                  : recordText(ctx, pc, format, fmt, args);
        // Never remove lines: later line numbers stay the user's (a format split over lines).
        auto lines = [](const std::string &t) { return std::count(t.begin(), t.end(), '\n'); };
        auto removed = lines(ctx.rewriter.getRewrittenText(range)) - lines(text);
        ctx.rewriter.ReplaceText(range, text + std::string(std::max<long>(removed, 0), '\n'));
        return true;
    }

    // The kernel's own helper, as libbpf's bpf_printk calls it (vprintk beyond 3 arguments).
    std::string kernelPrintkText(PassContext &ctx, const clang::StringLiteral *lit,
                                 const std::vector<std::string> &args) {
        std::string fmt = ctx.rewriter.getRewrittenText(ctx.fileRange(lit->getSourceRange()));
        std::string text = "({ static const char __jp_fmt[] = " + fmt + "; ";
        if (args.size() <= 3) {
            text += "(bpf_trace_printk)(__jp_fmt, sizeof(__jp_fmt)";
            for (const auto &a : args)
                text += ", " + a;
            return text + "); })";
        }
        text += "unsigned long long __jp_a[] = {";
        for (const auto &a : args)
            text += "(unsigned long long)(" + a + "), ";
        return text + "}; bpf_trace_vprintk(__jp_fmt, sizeof(__jp_fmt), __jp_a, sizeof(__jp_a)); })";
    }

    enum class FormatCheck { Ok, Failed, KernelRejects };

    // A conversion the kernel's helper refuses (BCC's test_printk_f: "%0.2f") is a warning, as
    // in BCC, and the call does what the kernel's would: evaluates its arguments, prints
    // nothing, returns -EINVAL.
    static std::string rejectedText(const std::vector<std::string> &args) {
        std::string text = "({ ";
        for (const auto &a : args)
            text += "(void)(" + a + "); ";
        return text + "(long)-22; })";
    }

    FormatCheck checkFormat(PassContext &ctx, const PrintkCall &pc, const clang::StringLiteral *lit,
                            const common::PrintkFormat &format, size_t nargs) {
        auto &sm = ctx.ast.getSourceManager();
        auto at = [&](size_t byte) {
            auto loc = lit->getLocationOfByte(static_cast<unsigned>(byte), sm, ctx.ast.getLangOpts(),
                                              ctx.ast.getTargetInfo());
            return loc.isValid() ? sm.getSpellingLoc(loc) : pc.call->getBeginLoc();
        };
        if (format.kernel_rejects) {
            ctx.report(at(format.error_at), Diagnostic::Severity::Warning,
                       "bpf_trace_printk: " + format.error +
                           "; the kernel refuses it too, so this call prints nothing and returns -EINVAL");
            return FormatCheck::KernelRejects;
        }
        if (!format.error.empty()) {
            ctx.report(at(format.error_at), Diagnostic::Severity::Error,
                       "bpf_trace_printk: " + format.error,
                       "or define " + std::string(kHostMacro) + " to print through trace_pipe");
            return FormatCheck::Failed;
        }
        if (format.conversions.size() != nargs) {
            ctx.report(pc.call->getBeginLoc(), Diagnostic::Severity::Error,
                       "bpf_trace_printk: the format has " + std::to_string(format.conversions.size()) +
                           " conversion(s), " + std::to_string(nargs) + " argument(s) given");
            return FormatCheck::Failed;
        }
        bool packet = isPacketCode(ctx, pc.function);
        for (const auto &c : format.conversions)
            if (packet && !ruleFor(c.kind).packet_ok) {
                ctx.report(at(c.begin), Diagnostic::Severity::Error,
                           "bpf_trace_printk: %s is not supported in packet programs (no probe reads)");
                return FormatCheck::Failed;
            }
        return FormatCheck::Ok;
    }

    std::string recordText(PassContext &ctx, const PrintkCall &pc, const common::PrintkFormat &format,
                           const std::string &fmt, const std::vector<std::string> &args) {
        auto &formats = ctx.info.printk_formats;
        auto found = std::find(formats.begin(), formats.end(), fmt);
        size_t id = found - formats.begin();
        if (found == formats.end())
            formats.push_back(fmt);
        std::string fields, stores;
        for (size_t i = 0; i < args.size(); ++i) {
            const ArgRule &rule = ruleFor(format.conversions[i].kind);
            fields += fill(rule.field, std::to_string(i), args[i]) + " ";
            stores += fill(rule.store, std::to_string(i), args[i]) + " ";
        }
        std::string head = isPacketCode(ctx, pc.function) ? "__jp_printk_head_packet" : "__jp_printk_head_task";
        return "({ struct { struct __jp_printk_head h; " + fields + "} *__jp_p = "
               "bpf_ringbuf_reserve(&__jp_printk_ring, sizeof(*__jp_p), 0); long __jp_rc = -1; "
               "if (__jp_p) { " + head + "(&__jp_p->h, " + std::to_string(id) + "); " + stores +
               "bpf_ringbuf_submit(__jp_p, 0); __jp_rc = 0; } else { "
               "__sync_fetch_and_add(&__jp_printk_lost, 1); } __jp_rc; })";
    }
};

} // namespace

std::unique_ptr<AstPass> createPrintkPass() { return std::make_unique<PrintkPass>(); }

} // namespace jitprobe::frontend
