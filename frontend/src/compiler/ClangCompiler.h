// Runs Clang in-process on a probe source held in memory: parse + AST passes (rewrite),
// code generation into memory (ELF, IR or assembly), and the kernel-type PCH. No temporary
// files and no external clang process; headers are served from an in-memory file system.
#pragma once
#include "jitprobe/frontend/Diagnostic.h"
#include "jitprobe/frontend/ProgramInfo.h"
#include "conventions/AttachDirectives.h"

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace jitprobe::frontend {

struct VirtualFile {
    std::string path; // absolute virtual path
    std::string contents;
};

// The kernel-type files on disk (vmlinux.h cut in parts, see KernelTypeCache.h) appear under
// this virtual directory, the names the PCH refers to them by.
inline constexpr const char *kKernelTypesVirtualDir = "/jitprobe/kernel";

struct ClangJob {
    std::string main_path;   // virtual path of the main file (its contents: main_source)
    std::string main_source;
    std::string user_file;   // the name diagnostics show for the main file
    std::vector<std::string> user_args; // -D / -I / -W from the user
    std::vector<VirtualFile> files;     // vmlinux.h, kernel_compat.h, prelude.h ...
    std::string pch_path;               // use this kernel-type PCH when non-empty
    std::string kernel_types_dir;       // real directory served as kKernelTypesVirtualDir
    // Receives the path of every file the compile opened from disk, outside jitprobe's own
    // kernel-type cache (user headers, -include files): what a cache key cannot see.
    std::shared_ptr<std::set<std::string>> disk_files = std::make_shared<std::set<std::string>>();
    // The user's headers as the rewrite passes left them (maps declared there, as BCC allows),
    // served over the files on disk to code generation; empty for a parse.
    std::vector<VirtualFile> rewritten_headers;
};

enum class CodegenOutput { Object, IR, Assembly };

// Parse job.main_source, run the rewrite passes, return the rewritten source. REWRITE_MS (if
// given) receives the time spent in the rewrite passes, the rest being the parse;
// TYPES_SHAKEN whether kernel records were replaced by minimal local types.
// HEADERS (if given) receives the user headers the passes edited (see rewritten_headers).
bool parseAndRewrite(const ClangJob &job, const std::vector<AttachDirective> &directives,
                     std::string &rewritten, ProgramInfo &info, std::vector<Diagnostic> &diags,
                     double *rewrite_ms = nullptr, bool *types_shaken = nullptr,
                     std::vector<VirtualFile> *headers = nullptr);

// Where code generation runs: a forked child (the default: a crash is a diagnostic, and LLVM's
// per-process state stays clean for the next compile), or this process (its last compile only).
enum class CodegenIn { ForkedChild, ThisProcess };

// Compile job.main_source to a BPF object / IR / assembly in memory.
bool generateCode(const ClangJob &job, CodegenOutput what, std::vector<std::uint8_t> &out,
                  std::vector<Diagnostic> &diags, CodegenIn where = CodegenIn::ForkedChild);

// Precompile job.main_source (the prefix header: kernel types + dialect) into the file
// pch_path (the caller renames it into place).
bool buildPrefixPch(const ClangJob &job, const std::string &pch_path,
                    std::vector<Diagnostic> &diags);

// Where the dialect and prefix headers live in the virtual file system.
inline constexpr const char *kVirtualIncludeDir = "/jitprobe/include";

} // namespace jitprobe::frontend
