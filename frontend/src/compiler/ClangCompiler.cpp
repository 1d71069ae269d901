// In-process Clang: driver-style arguments through clang::createInvocation, the overlay file
// system of CompilerFileSystem.h, and actions whose output goes to memory.
#include "compiler/ClangCompiler.h"

#include "compiler/CompilerFileSystem.h"
#include "compiler/DiagnosticCollector.h"
#include "compiler/IsolatedRun.h"
#include "compiler/passes/Pass.h"

#include <clang/AST/ASTConsumer.h>
#include <clang/CodeGen/CodeGenAction.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendActions.h>
#include <clang/Frontend/Utils.h>
#include <clang/Lex/PreprocessorOptions.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/Support/CommandLine.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>

#include <chrono>
#include <map>
#include <mutex>

namespace jitprobe::frontend {
namespace {

// LLVM 16's BPF backend keeps `n < 1 || n >= 2` as two compares (its icmp serialization, meant
// to keep InstCombine from merging range checks); a 6.1 verifier cannot join `n != 0` and
// `n <= 1` into n == 1, so `a[n - 1]` after it is refused (BCC's inject). Without it the code is
// `n != 1`, as BCC's LLVM 14 makes. Measured on the 226 BCC programs jitprobe builds: 9 compile
// differently, none loads worse on 6.18 or 6.1, inject's return probe now verifies on 6.1
// (README, "The dialect").
void disableIcmpSerialization() {
    auto &options = llvm::cl::getRegisteredOptions();
    auto it = options.find("bpf-disable-serialize-icmp");
    if (it != options.end())
        (void)it->second->addOccurrence(0, "bpf-disable-serialize-icmp", "true");
}

void initBpfTarget() {
    static std::once_flag once;
    std::call_once(once, [] {
        LLVMInitializeBPFTargetInfo();
        LLVMInitializeBPFTarget();
        LLVMInitializeBPFTargetMC();
        LLVMInitializeBPFAsmPrinter();
        disableIcmpSerialization();
    });
}

enum class Mode { Parse, Object, IR, Assembly, Pch };

std::vector<std::string> driverArgs(const ClangJob &job, Mode mode) {
    std::vector<std::string> args = {
        JITPROBE_CLANG_EXECUTABLE, "-target", "bpf", "-O2", "-g", "-std=gnu11",
        "-resource-dir", JITPROBE_CLANG_RESOURCE_DIR, "-nostdlibinc",
        "-isystem", kVirtualIncludeDir, "-D__TARGET_ARCH_x86", "-D__BPF_TRACING__",
        "-D__JITPROBE__", "-fno-stack-protector", "-mcpu=v3", "-ferror-limit=20",
        // BCC-dialect sources trigger these on valid code.
        "-Wno-unused-value", "-Wno-pointer-sign", "-Wno-compare-distinct-pointer-types",
        "-Wno-gnu-variable-sized-type-not-at-end", "-Wno-address-of-packed-member",
        "-Wno-tautological-compare", "-Wno-unknown-warning-option", "-Wno-unused-function",
        "-Wno-incompatible-pointer-types-discards-qualifiers", "-Wno-int-conversion",
        "-Wno-macro-redefined"};
    for (const auto &a : job.user_args)
        args.push_back(a);
    if (mode == Mode::Pch) {
        args.insert(args.end(), {"-x", "c-header", job.main_path});
        return args;
    }
    if (!job.pch_path.empty())
        args.insert(args.end(), {"-include-pch", job.pch_path});
    else
        args.insert(args.end(), {"-include", "jitprobe/prefix.h"});
    args.insert(args.end(), {"-include", "jitprobe/prelude.h", "-x", "c"});
    // Parse as code generation: createInvocation makes every invocation -fsyntax-only anyway
    // (the action run decides what is done), so the two share one driver run (cc1Arguments).
    switch (mode) {
    case Mode::IR: args.insert(args.end(), {"-S", "-emit-llvm"}); break;
    case Mode::Assembly: args.push_back("-S"); break;
    default: args.push_back("-c"); break;
    }
    // DWARF 4: BTF is built from the debug info either way, but DWARF 5 makes Clang MD5 every
    // source file a type comes from, 2.8 MB of vmlinux.h included (~8 ms per compile). A parse
    // makes no debug info: the same arguments there keep the driver run shared.
    if (mode != Mode::Pch)
        args.push_back("-gdwarf-4");
    args.insert(args.end(), {job.main_path, "-o", "/dev/null"});
    return args;
}

// The invocation for driver arguments ARGV. The driver's cc1 arguments are remembered for this
// process: a compile runs Clang twice (parse, code generation) on the same driver arguments, and
// the driver (toolchain, distribution and GPU SDK detection, ~40 file probes) took ~0.2-0.3 ms.
std::shared_ptr<clang::CompilerInvocation> invocationFor(const std::vector<const char *> &argv,
                                                         clang::CreateInvocationOptions opts) {
    static std::mutex mutex;
    static std::map<std::vector<std::string>, std::vector<std::string>> known;
    std::vector<std::string> key(argv.begin(), argv.end()), cc1;
    {
        std::lock_guard lock(mutex);
        if (auto it = known.find(key); it != known.end())
            cc1 = it->second;
    }
    if (cc1.empty()) {
        opts.CC1Args = &cc1;
        auto invocation = clang::createInvocation(argv, opts);
        if (invocation && !opts.Diags->hasErrorOccurred() && !cc1.empty()) {
            std::lock_guard lock(mutex);
            if (known.size() >= 64) // a long-lived process compiling many different files
                known.clear();
            known.emplace(std::move(key), std::move(cc1));
        }
        return invocation;
    }
    // What createInvocation does with the driver's arguments.
    std::vector<const char *> cc1_argv;
    for (const auto &a : cc1)
        cc1_argv.push_back(a.c_str());
    auto invocation = std::make_shared<clang::CompilerInvocation>();
    if (!clang::CompilerInvocation::CreateFromArgs(*invocation, cc1_argv, *opts.Diags, argv[0]))
        return nullptr;
    return invocation;
}

// A CompilerInstance set up for job, or nullptr (diagnostics say why).
std::unique_ptr<clang::CompilerInstance> makeInstance(const ClangJob &job, Mode mode,
                                                      DiagnosticCollector &collector) {
    initBpfTarget();
    auto fs = makeFileSystem(job);
    auto arg_strings = driverArgs(job, mode);
    std::vector<const char *> argv;
    for (const auto &a : arg_strings)
        argv.push_back(a.c_str());

    auto diag_opts = llvm::makeIntrusiveRefCnt<clang::DiagnosticOptions>();
    auto engine = llvm::makeIntrusiveRefCnt<clang::DiagnosticsEngine>(
        llvm::makeIntrusiveRefCnt<clang::DiagnosticIDs>(), diag_opts, &collector, false);
    clang::CreateInvocationOptions opts;
    opts.Diags = engine;
    opts.VFS = fs;
    std::shared_ptr<clang::CompilerInvocation> invocation = invocationFor(argv, opts);
    if (!invocation || engine->hasErrorOccurred())
        return nullptr;
    // The PCH is keyed by kernel BTF digest and compiler version; its inputs live in memory,
    // so skip Clang's mtime-based input validation.
    invocation->getPreprocessorOpts().DisablePCHOrModuleValidation =
        clang::DisableValidationForModuleKind::All;
    invocation->getFrontendOpts().DisableFree = false;
    invocation->getDiagnosticOpts().ShowCarets = false; // no "N errors generated" on stderr

    auto ci = std::make_unique<clang::CompilerInstance>();
    ci->setInvocation(std::move(invocation));
    ci->createDiagnostics(&collector, false);
    ci->createFileManager(fs);
    return ci;
}

class PassConsumer : public clang::ASTConsumer {
  public:
    PassConsumer(clang::Rewriter &rewriter, const ClangJob &job,
                 const std::vector<AttachDirective> &directives, ProgramInfo &info,
                 std::vector<Diagnostic> &diags, std::string &appendix, double &pass_ms,
                 bool &types_shaken)
        : rewriter_(rewriter), job_(job), directives_(directives), info_(info), diags_(diags),
          appendix_(appendix), pass_ms_(pass_ms), types_shaken_(types_shaken) {}

    void HandleTranslationUnit(clang::ASTContext &ast) override {
        if (ast.getDiagnostics().hasErrorOccurred())
            return;
        auto start = std::chrono::steady_clock::now();
        PassContext ctx{ast, rewriter_, info_, diags_, job_.user_file, directives_, {}, {}, {}};
        // TypeShakingPass renames type names first: later passes replace ranges around them
        // (CoreReadPass reuses the rewritten text) and print types with its renames.
        std::unique_ptr<AstPass> passes[] = {createTypeShakingPass(), createMapDeclPass(),
                                             createCoreReadPass(), createKernelDerefPass(),
                                             createPacketHeaderPass(), createMapCallPass(),
                                             createProbeFunctionPass(), createKprobeArgsPass(),
                                             createPrintkPass()};
        for (auto &pass : passes)
            pass->run(ctx);
        for (const auto &[loc, text] : ctx.late_inserts)
            rewriter_.InsertTextBefore(loc, text);
        types_shaken_ = !ctx.renamed_records.empty();
        appendix_ = std::move(ctx.appendix);
        pass_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }

  private:
    clang::Rewriter &rewriter_;
    const ClangJob &job_;
    const std::vector<AttachDirective> &directives_;
    ProgramInfo &info_;
    std::vector<Diagnostic> &diags_;
    std::string &appendix_;
    double &pass_ms_;
    bool &types_shaken_;
};

class RewriteAction : public clang::ASTFrontendAction {
  public:
    RewriteAction(const ClangJob &job, const std::vector<AttachDirective> &directives,
                  ProgramInfo &info, std::vector<Diagnostic> &diags)
        : job_(job), directives_(directives), info_(info), diags_(diags) {}

    std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance &ci,
                                                          llvm::StringRef) override {
        rewriter_.setSourceMgr(ci.getSourceManager(), ci.getLangOpts());
        return std::make_unique<PassConsumer>(rewriter_, job_, directives_, info_, diags_,
                                              appendix_, pass_ms, types_shaken);
    }

    double pass_ms = 0;        // time in the rewrite passes
    bool types_shaken = false; // TypeShakingPass renamed kernel records

    std::string rewrittenMain() {
        auto &sm = rewriter_.getSourceMgr();
        const auto *buffer = rewriter_.getRewriteBufferFor(sm.getMainFileID());
        std::string text = buffer ? std::string(buffer->begin(), buffer->end()) : job_.main_source;
        if (!appendix_.empty())
            text += "\n" + appendix_;
        return text;
    }

    // Every other file the passes edited: a user header declaring maps.
    std::vector<VirtualFile> rewrittenHeaders() {
        auto &sm = rewriter_.getSourceMgr();
        std::vector<VirtualFile> out;
        for (auto it = rewriter_.buffer_begin(); it != rewriter_.buffer_end(); ++it) {
            auto entry = sm.getFileEntryRefForID(it->first);
            if (it->first != sm.getMainFileID() && entry)
                out.push_back({entry->getName().str(), std::string(it->second.begin(), it->second.end())});
        }
        return out;
    }

  private:
    const ClangJob &job_;
    const std::vector<AttachDirective> &directives_;
    ProgramInfo &info_;
    std::vector<Diagnostic> &diags_;
    clang::Rewriter rewriter_;
    std::string appendix_;
};

bool runToMemory(const ClangJob &job, Mode mode, clang::FrontendAction &action,
                 std::vector<std::uint8_t> &out, std::vector<Diagnostic> &diags) {
    DiagnosticCollector collector(job.main_path, job.user_file, diags);
    auto ci = makeInstance(job, mode, collector);
    if (!ci)
        return false;
    llvm::SmallVector<char, 0> buffer;
    ci->setOutputStream(std::make_unique<llvm::raw_svector_ostream>(buffer));
    bool ok = ci->ExecuteAction(action) && !collector.hasErrors();
    out.assign(buffer.begin(), buffer.end());
    return ok;
}

} // namespace

bool generateInProcess(const ClangJob &job, CodegenOutput what, std::vector<std::uint8_t> &out,
                       std::vector<Diagnostic> &diags);

bool parseAndRewrite(const ClangJob &job, const std::vector<AttachDirective> &directives,
                     std::string &rewritten, ProgramInfo &info, std::vector<Diagnostic> &diags,
                     double *rewrite_ms, bool *types_shaken, std::vector<VirtualFile> *headers) {
    DiagnosticCollector collector(job.main_path, job.user_file, diags);
    auto ci = makeInstance(job, Mode::Parse, collector);
    if (!ci)
        return false;
    // From here on, what is opened is what the source includes (the driver has read
    // /etc/os-release and such to pick a toolchain).
    job.disk_files->clear();
    RewriteAction action(job, directives, info, diags);
    bool ok = ci->ExecuteAction(action) && !collector.hasErrors() && !hasErrors(diags);
    auto start = std::chrono::steady_clock::now();
    if (ok)
        rewritten = action.rewrittenMain();
    if (ok && headers)
        *headers = action.rewrittenHeaders();
    if (types_shaken)
        *types_shaken = action.types_shaken;
    if (rewrite_ms)
        *rewrite_ms = action.pass_ms +
                      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return ok;
}

bool generateCode(const ClangJob &job, CodegenOutput what, std::vector<std::uint8_t> &out,
                  std::vector<Diagnostic> &diags, CodegenIn where) {
    if (where == CodegenIn::ThisProcess)
        return generateInProcess(job, what, out, diags);
    return runIsolated([&](std::vector<std::uint8_t> &bytes, std::vector<Diagnostic> &found) {
        return generateInProcess(job, what, bytes, found);
    }, out, diags);
}

bool generateInProcess(const ClangJob &job, CodegenOutput what, std::vector<std::uint8_t> &out,
                       std::vector<Diagnostic> &diags) {
    llvm::LLVMContext context;
    if (what == CodegenOutput::IR) {
        clang::EmitLLVMAction action(&context);
        return runToMemory(job, Mode::IR, action, out, diags);
    }
    if (what == CodegenOutput::Assembly) {
        clang::EmitAssemblyAction action(&context);
        return runToMemory(job, Mode::Assembly, action, out, diags);
    }
    clang::EmitObjAction action(&context);
    return runToMemory(job, Mode::Object, action, out, diags);
}

bool buildPrefixPch(const ClangJob &job, const std::string &pch_path,
                    std::vector<Diagnostic> &diags) {
    DiagnosticCollector collector(job.main_path, job.user_file, diags);
    auto ci = makeInstance(job, Mode::Pch, collector);
    if (!ci)
        return false;
    ci->getFrontendOpts().OutputFile = pch_path;
    clang::GeneratePCHAction action;
    return ci->ExecuteAction(action) && !collector.hasErrors();
}

} // namespace jitprobe::frontend
