// jitprobe-compiler: the probe compiler as its own executable. The runtime starts it on a cache
// miss, writes one compile request (see ProcessPipe.h) to its stdin and reads the result from
// its stdout. Why a separate, statically linked program: the process running probes never maps
// LLVM, and a non-PIE binary with LLVM linked in starts with no dynamic relocations to apply
// (dlopen of the shared libLLVM + libclang-cpp costs ~70 ms and ~67 MiB before compiling).
//
// Exit status: 0 with a result (the compiler's verdict and diagnostics inside), 2 with a
// failure record when the request could not be read or the compiler threw.
#include "jitprobe/frontend/Frontend.h"
#include "jitprobe/frontend/ProcessPipe.h"
#include "text/MinCoreBtf.h"

#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <exception>

namespace {

using namespace jitprobe::frontend;

// The kernel BTF minimized for RESULT's CO-RE relocations, into RESULT (see MinCoreBtf.h).
void addCoreBtf(const CompileOptions &options, CompileResult &result) {
    ::malloc_trim(0); // Clang's heap is gone: keep the peak of this process at the compile's
    auto t0 = std::chrono::steady_clock::now();
    auto core = minimizeCoreBtf(result.object, options.kernel_btf_path);
    result.times.core_btf_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (core.ok())
        result.core_btf = std::move(core->btf);
    else
        result.core_btf_note =
            core.status().msg() + "; CO-RE relocates against " + options.kernel_btf_path;
}

struct Reply {
    std::string bytes;
    int exit_status = 0;
};

Reply run(const std::string &request) {
    std::string source;
    CompileOptions options;
    if (!decodeCompileRequest(request, source, options))
        return {encodeCompileFailure(EINVAL, "jitprobe-compiler: unreadable compile request"), 2};
    try {
        CompileResult result = compile(source, options);
        if (result.ok && options.want_core_btf && !options.stop_after_rewrite)
            addCoreBtf(options, result);
        return {encodeCompileResult(result)};
    } catch (const std::exception &e) {
        return {encodeCompileFailure(-1, options.file_name +
                                             ": the probe compiler failed: " + e.what()),
                2};
    }
}

} // namespace

int main() {
    Reply reply = run(readAll(STDIN_FILENO));
    return writeAll(STDOUT_FILENO, reply.bytes) ? reply.exit_status : 1;
}
