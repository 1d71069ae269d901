// Runs the probe compiler (the jitprobe-compiler executable: Clang + LLVM) as a child process.
// Why: once mapped, LLVM cannot be unloaded, so a process that compiled in-process would carry
// its ~70 MiB for as long as its probes run. The child reads one compile request on stdin,
// compiles, writes the result on stdout and exits: the caller never maps LLVM, and a compiler
// crash becomes an error instead of taking it down.
//
// The child is not trusted to behave: the exchange has a deadline, every reply part and the
// reply as a whole have a size cap (ReplyLimits), and the child's process group is killed and
// reaped on a timeout, an error or when the caller cancels.
#pragma once
#include "jitprobe/Status.h"
#include "jitprobe/frontend/Frontend.h"
#include "jitprobe/frontend/ProcessPipe.h"

#include <chrono>
#include <functional>
#include <string>

namespace jitprobe::detail {

inline constexpr std::chrono::milliseconds kDefaultCompileTimeout{120'000};

struct CompileLimits {
    std::chrono::milliseconds timeout = kDefaultCompileTimeout;
    frontend::ReplyLimits reply;
    // Polled while waiting (on a signal and every 100 ms): true abandons the compile (e.g. the
    // caller's SIGINT handler asked to stop).
    std::function<bool()> cancelled;
    // The open cache directory, or -1. Handed to the compiler as an inherited descriptor and
    // named to it as /proc/self/fd/N in place of CompileOptions::cache_dir: it never resolves
    // the path string (which another user might redirect meanwhile).
    int cache_dir_fd = -1;
};

// The compile timeout: OPTION when positive, else $JITPROBE_COMPILE_TIMEOUT (seconds, may be
// fractional), else kDefaultCompileTimeout. An unreadable variable is an error, not ignored.
[[nodiscard]] Result<std::chrono::milliseconds>
compileTimeout(std::chrono::milliseconds option = std::chrono::milliseconds{0});

// Compile SOURCE with OPTIONS in a child process. A non-ok status only when the child could not
// run, died, broke LIMITS or was cancelled (the compiler's own verdict, diagnostics included,
// is in RESULT).
[[nodiscard]] Status compileInChildProcess(const std::string &source,
                                           const frontend::CompileOptions &options,
                                           frontend::CompileResult &result,
                                           const CompileLimits &limits = {});

} // namespace jitprobe::detail
