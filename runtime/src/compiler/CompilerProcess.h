// Runs the probe compiler (the jitprobe-compiler executable: Clang + LLVM) as a child process.
// Why: once mapped, LLVM cannot be unloaded, so a process that compiled in-process would carry
// its ~70 MiB for as long as its probes run. The child reads one compile request on stdin,
// compiles, writes the result on stdout and exits: the caller never maps LLVM, and a compiler
// crash becomes an error instead of taking it down.
#pragma once
#include "jitprobe/Status.h"
#include "jitprobe/frontend/Frontend.h"

#include <string>

namespace jitprobe::detail {

// Compile SOURCE with OPTIONS in a child process. A non-ok status only when the child could not
// run or died (the compiler's own verdict, diagnostics included, is in RESULT).
Status compileInChildProcess(const std::string &source, const frontend::CompileOptions &options,
                             frontend::CompileResult &result);

} // namespace jitprobe::detail
