// The frontend pipeline: source checks -> @attach directives -> tracepoint record types ->
// kernel types (PCH) -> parse + rewrite passes -> code generation of the rewritten source.
#include "jitprobe/frontend/Frontend.h"

#include "compiler/ClangCompiler.h"
#include "compiler/KernelTypeCache.h"
#include "text/AttachDirectives.h"
#include "text/TracepointFormat.h"
#include "text/TracepointUses.h"

#include <llvm/Config/llvm-config.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <sys/stat.h>

namespace jitprobe::frontend {
namespace {

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

Diagnostic fileError(const std::string &file, std::string message, std::string hint = {}) {
    return {Diagnostic::Severity::Error, {file, 0, 0}, std::move(message), "", std::move(hint)};
}

// Empty and binary inputs are refused before Clang sees them.
bool checkSourceText(const std::string &source, const std::string &file,
                     std::vector<Diagnostic> &diags) {
    if (source.find('\0') != std::string::npos) {
        diags.push_back(fileError(file, "not a text source file (it contains NUL bytes)",
                                  "pass a C probe source in BCC's dialect"));
        return false;
    }
    bool blank = std::all_of(source.begin(), source.end(),
                             [](unsigned char c) { return std::isspace(c); });
    if (blank) {
        diags.push_back(fileError(file, "empty source: no probes found",
                                  "define e.g. TRACEPOINT_PROBE(syscalls, sys_enter_openat) { ... }"));
        return false;
    }
    return true;
}

// `struct tracepoint__CAT__EV` definitions for every tracepoint the source names.
bool tracepointPrelude(const std::string &source, const CompileOptions &options,
                       std::string &prelude, std::vector<Diagnostic> &diags) {
    bool ok = true;
    for (const auto &use : findTracepointUses(source)) {
        TracepointFormat format;
        std::string error;
        if (readTracepointFormat(options.tracefs_path, use.category, use.event, format, error)) {
            prelude += tracepointStructDefinition(format) + "\n";
            continue;
        }
        // The error already carries "did you mean ...?" when a close name exists.
        diags.push_back({Diagnostic::Severity::Error, {options.file_name, use.line, use.column},
                         error, "", "'jitprobe list tracepoints' shows what this kernel has"});
        ok = false;
    }
    return ok;
}

// The main file's name in the compiler's file system. A source read from disk keeps its real
// path: LLVM's BTF writer reads the line text for BTF line info from that file (rewrites keep
// the user's lines), so verifier logs quote the user's own code.
std::string mainPath(const std::string &file_name) {
    char resolved[PATH_MAX];
    struct stat st {};
    if (::realpath(file_name.c_str(), resolved) && ::stat(resolved, &st) == 0 && S_ISREG(st.st_mode))
        return resolved;
    auto slash = file_name.rfind('/');
    std::string base = slash == std::string::npos ? file_name : file_name.substr(slash + 1);
    return "/jitprobe/src/" + (base.empty() || base[0] == '<' ? std::string("probe.c") : base);
}

} // namespace

std::string compilerVersion() {
    return std::string("jitprobe-frontend-1 llvm-") + LLVM_VERSION_STRING;
}

CompileResult compile(const std::string &source, const CompileOptions &options) {
    CompileResult result;
    auto &diags = result.diagnostics;
    if (!checkSourceText(source, options.file_name, diags))
        return result;
    auto directives = parseAttachDirectives(source, options.file_name, diags);
    // BCC programs are GPL by default (BPF_LICENSE is a no-op); GPL-only helpers need it.
    std::string prelude = "char __jp_license[] SEC(\"license\") = \"GPL\";\n";
    // libbpf's USDT argument support declares maps: only for sources that read USDT arguments.
    if (source.find("bpf_usdt_readarg") != std::string::npos)
        prelude += "#include <bpf/usdt.bpf.h>\n";
    bool tracepoints_ok = tracepointPrelude(source, options, prelude, diags);
    if (hasErrors(diags) || !tracepoints_ok)
        return result;

    KernelTypes kernel;
    if (!prepareKernelTypes(options.kernel_btf_path, options.cache_dir, kernel, diags))
        return result;
    result.times.kernel_types_ms = kernel.ms;

    ClangJob job;
    job.main_path = mainPath(options.file_name);
    job.main_source = source;
    job.user_file = options.file_name;
    job.user_args = options.cflags;
    job.files = std::move(kernel.files);
    job.files.push_back({std::string(kVirtualIncludeDir) + "/jitprobe/prelude.h", prelude});
    job.pch_path = kernel.pch_path;

    auto start = Clock::now();
    if (!parseAndRewrite(job, directives, result.rewritten, result.info, diags,
                         &result.times.rewrite_ms))
        return result;
    result.times.parse_ms = msSince(start) - result.times.rewrite_ms; // Clang's parse alone
    if (options.stop_after_rewrite) {
        result.ok = !hasErrors(diags);
        return result;
    }

    job.main_source = result.rewritten;
    start = Clock::now();
    if (!generateCode(job, CodegenOutput::Object, result.object, diags))
        return result;
    result.times.codegen_ms = msSince(start);
    std::vector<std::uint8_t> text;
    if (options.want_ir && generateCode(job, CodegenOutput::IR, text, diags))
        result.ir.assign(text.begin(), text.end());
    if (options.want_asm && generateCode(job, CodegenOutput::Assembly, text, diags))
        result.asm_text.assign(text.begin(), text.end());
    result.ok = !hasErrors(diags);
    return result;
}

} // namespace jitprobe::frontend

extern "C" const jitprobe::frontend::Api *jitprobe_frontend_api() {
    static const jitprobe::frontend::Api api{jitprobe::frontend::kApiVersion,
                                             &jitprobe::frontend::compile,
                                             &jitprobe::frontend::compilerVersion};
    return &api;
}
