// The frontend pipeline: source checks -> @attach directives -> tracepoint record types ->
// kernel types (PCH) -> parse + rewrite passes -> code generation of the rewritten source.
#include "jitprobe/common/Stopwatch.h"
#include "jitprobe/frontend/Frontend.h"

#include "compiler/ClangCompiler.h"
#include "compiler/KernelTypeCache.h"
#include "compiler/KernelTypeManifest.h"
#include "conventions/AttachDirectives.h"
#include "conventions/MapDirectives.h"
#include "btf/MinCoreBtf.h"
#include "tracepoint/TracepointFormat.h"
#include "tracepoint/TracepointUses.h"
#include "btf/IterContexts.h"
#include "btf/KernelIncludes.h"

#include <llvm/Config/llvm-config.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>
#include <malloc.h>
#include <cstdlib>
#include <sys/stat.h>

namespace jitprobe::frontend {
namespace {

using common::Clock;
using common::msSince;

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
        Result<TracepointFormat> format = common::readTracepointFormat(options.tracefs_path, use.category, use.event);
        if (format.ok()) {
            prelude += tracepointStructDefinition(*format) + "\n";
            continue;
        }
        // The error already carries "did you mean ...?" when a close name exists.
        diags.push_back({Diagnostic::Severity::Error, {options.file_name, use.line, use.column},
                         format.status().msg(), "", "'jitprobe list tracepoints' shows what this kernel has"});
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

// The kernel BTF minimized for RESULT's CO-RE relocations, into RESULT (see MinCoreBtf.h).
void addCoreBtf(const CompileOptions &options, CompileResult &result) {
    // Clang's heap is gone: before the kernel BTF is parsed (~11 MiB), hand it back to keep this
    // process's peak at the compile's. Only then: returning it page by page is ~35 madvise calls.
    Result<std::size_t> relocations = countCoreRelocations(result.object);
    if (!relocations.ok() || *relocations > 0)
        ::malloc_trim(0);
    auto start = Clock::now();
    auto core = minimizeCoreBtf(result.object, options.kernel_btf_path);
    result.times.core_btf_ms = msSince(start);
    if (core.ok())
        result.core_btf = std::move(core->btf);
    else
        result.core_btf_note =
            core.status().msg() + "; CO-RE relocates against " + options.kernel_btf_path;
}

// Did code generation complain about a type TypeShakingPass made ("struct task_struct___jp")?
bool mentionsShakenType(const std::vector<Diagnostic> &diags) {
    return std::any_of(diags.begin(), diags.end(), [](const Diagnostic &d) {
        return d.severity != Diagnostic::Severity::Note && d.message.find("___jp") != std::string::npos;
    });
}

// Code generation of the rewritten source. Should the minimal kernel types of TypeShakingPass
// fail to compile or draw a warning, that is not the user's problem: rewrite the source again
// without them and generate that instead. LAST_HERE: the final object may be generated in this
// process (see CompileOptions::single_compile_process); an attempt that may be followed by
// another is always made in a forked child.
bool generateObject(ClangJob &job, const std::vector<AttachDirective> &directives,
                    const std::string &source, bool types_shaken, bool last_here,
                    CompileResult &result) {
    std::vector<Diagnostic> found;
    CodegenIn final_in = last_here ? CodegenIn::ThisProcess : CodegenIn::ForkedChild;
    bool ok = generateCode(job, CodegenOutput::Object, result.object, found,
                           types_shaken ? CodegenIn::ForkedChild : final_in);
    if (types_shaken && (!ok || mentionsShakenType(found))) {
        ClangJob plain = job;
        plain.main_source = source;
        plain.rewritten_headers.clear(); // the headers as written
        plain.user_args.push_back("-DJITPROBE_NO_TYPE_SHAKING");
        CompileResult again; // fresh program info and diagnostics
        if (parseAndRewrite(plain, directives, again.rewritten, again.info, again.diagnostics, nullptr,
                            nullptr, &job.rewritten_headers)) {
            result.rewritten = std::move(again.rewritten);
            result.info = std::move(again.info);
            result.diagnostics = std::move(again.diagnostics);
            job.main_source = result.rewritten;
            found.clear();
            result.object.clear();
            ok = generateCode(job, CodegenOutput::Object, result.object, found, final_in);
        }
    }
    result.diagnostics.insert(result.diagnostics.end(), found.begin(), found.end());
    return ok;
}

// BCC: `#define BPF_LICENSE Dual BSD/GPL` in the probe is its license; GPL by default (the
// GPL-only helpers need it). Read from the text: the license section is in the prelude, before
// the probe's code, so that rewrites add no lines.
std::string licenseOf(const std::string &source) {
    std::string license = "GPL";
    for (size_t pos = 0; pos < source.size();) {
        size_t end = source.find('\n', pos);
        std::string line = source.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        pos = end == std::string::npos ? source.size() : end + 1;
        size_t at = line.find_first_not_of(" \t");
        if (at == std::string::npos || line[at] != '#')
            continue;
        size_t word = line.find_first_not_of(" \t", at + 1);
        if (word == std::string::npos || line.compare(word, 7, "define ") != 0)
            continue;
        size_t name = line.find_first_not_of(" \t", word + 7);
        size_t name_end = name == std::string::npos ? name : line.find_first_of(" \t\r", name);
        if (name == std::string::npos || line.substr(name, name_end - name) != "BPF_LICENSE")
            continue;
        // `#define BPF_LICENSE` with no value is an empty license, as in BCC: not GPL.
        size_t value = name_end == std::string::npos ? name_end : line.find_first_not_of(" \t\r", name_end);
        size_t last = line.find_last_not_of(" \t\r");
        license = value == std::string::npos ? "" : line.substr(value, last - value + 1);
    }
    std::string escaped; // a C string literal's contents
    for (char c : license)
        if (c != '"' && c != '\\')
            escaped += c;
    return escaped;
}

// BCC refuses BPF_LICENSE given as a flag (-DBPF_LICENSE=GPL): the license is the source's own
// statement. So does jitprobe, naming the flag, rather than ignoring it.
bool licenseNotInFlags(const CompileOptions &options, std::vector<Diagnostic> &diags) {
    const auto &flags = options.cflags;
    for (size_t i = 0; i < flags.size(); ++i) {
        std::string_view f = flags[i];
        if (f == "-D" && i + 1 < flags.size())
            f = flags[++i];
        else if (f.rfind("-D", 0) == 0)
            f.remove_prefix(2);
        else
            continue;
        if (f.substr(0, f.find('=')) == "BPF_LICENSE") {
            diags.push_back(fileError(options.file_name, "BPF_LICENSE cannot be given as a compiler flag ('" +
                                                             flags[i] + "')",
                                      "state the license in the source, as BCC requires: "
                                      "#define BPF_LICENSE GPL"));
            return false;
        }
    }
    return true;
}

// Does SOURCE define `struct NAME {` (spacing and newlines as they come)?
bool definesStruct(const std::string &source, const std::string &name) {
    for (size_t pos = source.find("struct"); pos != std::string::npos; pos = source.find("struct", pos + 6)) {
        if (pos > 0 && (std::isalnum(static_cast<unsigned char>(source[pos - 1])) || source[pos - 1] == '_'))
            continue;
        size_t at = source.find_first_not_of(" \t\r\n", pos + 6);
        if (at == std::string::npos || source.compare(at, name.size(), name) != 0)
            continue;
        size_t after = source.find_first_not_of(" \t\r\n", at + name.size());
        if (after != std::string::npos && source[after] == '{')
            return true;
    }
    return false;
}

// A probe may define a kernel-internal struct itself (`struct mnt_namespace {...}` from a
// private kernel header): BCC compiles it, since its headers lack that definition, but here
// vmlinux.h has it. For every such "redefinition of 'X'", `#define X X___jpuser` makes the
// probe's definition a type of its own; every `struct X` the probe writes means it.
std::string kernelRedefinitionRenames(const std::vector<Diagnostic> &diags, size_t from) {
    std::string renames;
    const std::string prefix = "redefinition of '";
    for (size_t i = from; i < diags.size(); ++i) {
        const std::string &m = diags[i].message;
        if (diags[i].severity != Diagnostic::Severity::Error || !m.starts_with(prefix))
            continue;
        std::string name = m.substr(prefix.size(), m.find('\'', prefix.size()) - prefix.size());
        bool identifier = !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
            return std::isalnum(c) || c == '_';
        });
        std::string line = "#define " + name + " " + name + "___jpuser\n";
        if (identifier && renames.find(line) == std::string::npos)
            renames += line;
    }
    return renames;
}

// parseAndRewrite; should the probe define kernel structs itself, again with those renamed
// (kernelRedefinitionRenames). The prelude is JOB's last file.
bool parseOwnDefinitionsWin(ClangJob &job, const std::vector<AttachDirective> &directives,
                            CompileResult &result, bool &types_shaken) {
    auto &diags = result.diagnostics;
    size_t diags_before = diags.size();
    std::vector<VirtualFile> headers;
    bool parsed = parseAndRewrite(job, directives, result.rewritten, result.info, diags,
                                  &result.times.rewrite_ms, &types_shaken, &headers);
    std::string renames = kernelRedefinitionRenames(diags, diags_before);
    if (!parsed && !renames.empty()) {
        diags.resize(diags_before);
        job.files.back().contents += renames;
        result.info = {};
        parsed = parseAndRewrite(job, directives, result.rewritten, result.info, diags,
                                 &result.times.rewrite_ms, &types_shaken, &headers);
    }
    job.rewritten_headers = std::move(headers); // for code generation, after the parses
    return parsed;
}

} // namespace

std::string compilerVersion() {
    return std::string("jitprobe-frontend-1 llvm-") + LLVM_VERSION_STRING;
}

namespace {

// What the compile adds ahead of the source: the license, member-shortcut #undefs for a probe's
// own struct sock, libbpf's USDT support when used, the tracepoints' arg structs. false on error.
bool buildPrelude(const std::string &source, const CompileOptions &options, std::string &prelude,
                  std::vector<Diagnostic> &diags) {
    if (!licenseNotInFlags(options, diags))
        return false;
    prelude = "char __jp_license[] SEC(\"license\") = \"" + licenseOf(source) + "\";\n";
    for (const char *record : {"sock", "inet_sock"})
        if (definesStruct(source, record))
            prelude += memberShortcutUndefs(record);
    // libbpf's USDT argument support declares maps: only for sources that read USDT arguments.
    if (source.find("bpf_usdt_readarg") != std::string::npos)
        prelude += "#include <bpf/usdt.bpf.h>\n";
    bool tracepoints_ok = tracepointPrelude(source, options, prelude, diags);
    return tracepoints_ok && !hasErrors(diags);
}

ClangJob makeJob(const std::string &source, const CompileOptions &options, KernelTypes &kernel,
                 const std::string &prelude) {
    ClangJob job;
    job.main_path = mainPath(options.file_name);
    job.main_source = source;
    job.user_file = options.file_name;
    job.user_args = options.cflags;
    job.files = std::move(kernel.files);
    job.files.push_back({std::string(kVirtualIncludeDir) + "/jitprobe/prelude.h", prelude});
    job.pch_path = kernel.pch_path;
    job.kernel_types_dir = kernel.kernel_types_dir;
    return job;
}

// Code generation of the rewritten source (and IR / assembly when asked): RESULT's object.
bool generate(ClangJob &job, const CompileOptions &options, const std::vector<AttachDirective> &directives,
              const std::vector<MapDirective> &map_directives, const std::string &source,
              bool types_shaken, CompileResult &result) {
    auto &diags = result.diagnostics;
    job.main_source = result.rewritten;
    auto start = Clock::now();
    bool last_here = options.single_compile_process && !options.want_ir && !options.want_asm;
    if (!generateObject(job, directives, source, types_shaken, last_here, result))
        return false;
    std::vector<Diagnostic> reported; // already reported above; a fallback rewrite renews info
    applyMapDirectives(map_directives, result.info, reported);
    result.times.codegen_ms = msSince(start);
    if (options.want_core_btf)
        addCoreBtf(options, result);
    std::vector<std::uint8_t> text;
    if (options.want_ir && generateCode(job, CodegenOutput::IR, text, diags))
        result.ir.assign(text.begin(), text.end());
    if (options.want_asm && generateCode(job, CodegenOutput::Assembly, text, diags))
        result.asm_text.assign(text.begin(), text.end());
    return true;
}

} // namespace

CompileResult compile(const std::string &original, const CompileOptions &options) {
    CompileResult result;
    const std::string source = blankIterContextDefinitions(original);
    auto &diags = result.diagnostics;
    if (!checkSourceText(source, options.file_name, diags))
        return result;
    auto directives = parseAttachDirectives(source, options.file_name, diags);
    auto map_directives = parseMapDirectives(source, options.file_name, diags);
    std::string prelude;
    if (!buildPrelude(source, options, prelude, diags))
        return result;

    KernelTypes kernel;
    if (!prepareKernelTypes(options.kernel_btf_path, options.cache_dir, kernel, diags))
        return result;
    result.times.kernel_types_ms = kernel.ms;
    std::string pch_name, pch_digest;
    if (!kernel.pch_path.empty()) { // verified by prepareKernelTypes just now
        std::string stem = kernel.pch_path.substr(0, kernel.pch_path.size() - 4);
        pch_name = kernel.pch_path.substr(kernel.pch_path.rfind('/') + 1);
        pch_digest = manifestDigest(stem, pch_name);
    }
    ClangJob job = makeJob(source, options, kernel, prelude);

    auto start = Clock::now();
    bool types_shaken = false;
    bool parsed = parseOwnDefinitionsWin(job, directives, result, types_shaken);
    result.disk_files.assign(job.disk_files->begin(), job.disk_files->end());
    if (!parsed)
        return result;
    applyMapDirectives(map_directives, result.info, diags);
    if (options.require_programs && result.info.programs.empty() && !hasErrors(diags))
        diags.push_back(fileError(options.file_name, kNoProbesFound, kNoProbesHint));
    if (hasErrors(diags))
        return result;
    result.times.parse_ms = msSince(start) - result.times.rewrite_ms; // Clang's parse alone
    if (!options.stop_after_rewrite &&
        !generate(job, options, directives, map_directives, source, types_shaken, result))
        return result;
    result.info.pch_name = pch_name;
    result.info.pch_digest = pch_digest;
    result.ok = !hasErrors(diags);
    return result;
}

} // namespace jitprobe::frontend
