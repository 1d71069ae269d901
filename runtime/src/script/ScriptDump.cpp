// dump_probe: the frontend's intermediate products for `jitprobe dump`.
#include "compiler/CompilerProcess.h"
#include "ScriptParts.h"
#include "jitprobe/BPF.h"
#include "jitprobe/Script.h"

#include <cerrno>

namespace jitprobe {

namespace {
// The rewritten C through BPF::init (opened, never loaded): a cache hit needs no compiler.
Result<std::string> cachedRewritten(const std::string &source, const std::vector<std::string> &cflags,
                                    const std::string &file_name, const std::string &cache_dir) {
    BPF bpf;
    InitOptions init;
    init.file_name = file_name;
    init.cache_dir = cache_dir;
    init.want_rewritten = true;
    init.load_programs = false;
    init.compile_cancelled = stopAllRequested;
    if (Status s = bpf.init(source, cflags, init); !s.ok())
        return s;
    return bpf.rewritten_source();
}
} // namespace

Result<std::string> dump_probe(const std::string &source, const std::vector<std::string> &cflags,
                              const std::string &file_name, DumpKind kind, bool use_cache,
                              const std::string &cache_dir) {
    if (kind == DumpKind::Rewritten && use_cache)
        return cachedRewritten(source, cflags, file_name, cache_dir);
    frontend::CompileOptions options;
    options.file_name = file_name;
    options.cflags = cflags;
    options.want_ir = kind == DumpKind::IR;
    options.want_asm = kind == DumpKind::Asm;
    frontend::CompileResult result;
    detail::CompileLimits limits;
    Result<std::chrono::milliseconds> timeout = detail::compileTimeout();
    if (!timeout.ok())
        return timeout.status();
    limits.timeout = *timeout;
    limits.cancelled = stopAllRequested;
    if (Status s = detail::compileInChildProcess(source, options, result, limits); !s.ok())
        return s;
    if (!result.ok || frontend::hasErrors(result.diagnostics)) {
        std::string msg = frontend::formatDiagnostics(result.diagnostics);
        return Status(EINVAL, msg.empty() ? file_name + ": compilation failed" : msg);
    }
    switch (kind) {
    case DumpKind::Rewritten: return result.rewritten;
    case DumpKind::IR: return result.ir;
    case DumpKind::Asm: return result.asm_text;
    }
    return std::string();
}

} // namespace jitprobe
