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

#include <malloc.h>
#include <unistd.h>

#include <exception>

namespace {

using namespace jitprobe::frontend;

struct Reply {
    std::string bytes;
    int exit_status = 0;
};

Reply run(const std::string &request) {
    std::string source;
    CompileOptions options;
    if (!decodeCompileRequest(request, source, options))
        return {encodeCompileFailure(EINVAL, "jitprobe-compiler: unreadable compile request"), 2};
    options.single_compile_process = true; // this process exits after one compile
    try {
        return {encodeCompileResult(compile(source, options))};
    } catch (const std::exception &e) {
        return {encodeCompileFailure(-1, options.file_name +
                                             ": the probe compiler failed: " + e.what()),
                2};
    }
}

} // namespace

int main() {
    // One compile runs two Clang instances in turn (parse + rewrite, then code generation), each
    // allocating megabytes sized by the PCH. Kept on the heap and not trimmed, the second reuses
    // the first's pages instead of faulting fresh ones in (~1.5 ms, same peak RSS).
    ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
    ::mallopt(M_TRIM_THRESHOLD, 512 << 20);
    Reply reply = run(readAll(STDIN_FILENO));
    int status = writeAll(STDOUT_FILENO, reply.bytes) ? reply.exit_status : 1;
    // The runtime takes a whole reply followed by end of file as final: closing stdout here
    // lets it go on while this process is torn down (~1 ms for its ~50 MiB). _exit: no
    // destructors or exit handlers for a heap that is about to vanish (~0.2 ms).
    ::close(STDOUT_FILENO);
    ::_exit(status);
}
