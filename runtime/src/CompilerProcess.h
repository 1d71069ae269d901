// Runs the probe compiler (libjitprobe-frontend.so: Clang + LLVM) in a forked child process.
// Why: once mapped, LLVM cannot be unloaded (dlclose keeps it: it has unique symbols), so a
// process that compiled in-process would carry ~70 MiB of compiler for as long as its probes
// run. The child loads the frontend, compiles, sends the result back through a pipe and exits:
// the caller never maps LLVM, and a compiler crash becomes an error instead of taking it down.
#pragma once
#include "jitprobe/Status.h"
#include "jitprobe/frontend/Frontend.h"

#include <string>

namespace jitprobe::detail {

// Compile SOURCE with OPTIONS in a child process. A non-ok status only when the child could not
// run or died (the compiler's own verdict, diagnostics included, is in RESULT).
Status compileInChildProcess(const std::string &source, const frontend::CompileOptions &options,
                             frontend::CompileResult &result);

// The wire format between child and parent (exposed for tests).
std::string encodeCompileResult(const frontend::CompileResult &result);
bool decodeCompileResult(const std::string &bytes, frontend::CompileResult &result);

} // namespace jitprobe::detail
