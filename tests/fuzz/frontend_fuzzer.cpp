// libFuzzer target over the frontend: source text -> diagnostics (or a rewritten source).
// Stops before code generation (CompileOptions::stop_after_rewrite): code generation runs in
// a forked child per input, which is slow and already crash-isolated. Kernel types come from a
// PCH built once into JITPROBE_FUZZ_CACHE (default /tmp/jitprobe-fuzz-cache).
//
// Invariants checked beyond "no crash / no hang / no ASan report":
//  - a failed compile carries at least one error diagnostic (never a silent failure);
//  - a successful compile yields a non-empty rewritten source.
#include "jitprobe/frontend/Frontend.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

jitprobe::frontend::CompileOptions fuzzOptions() {
    jitprobe::frontend::CompileOptions o;
    o.file_name = "fuzz.c";
    const char *cache = std::getenv("JITPROBE_FUZZ_CACHE");
    o.cache_dir = cache ? cache : "/tmp/jitprobe-fuzz-cache";
    o.stop_after_rewrite = std::getenv("JITPROBE_FUZZ_CODEGEN") == nullptr;
    return o;
}

bool hasError(const jitprobe::frontend::CompileResult &r) {
    for (const auto &d : r.diagnostics)
        if (d.severity == jitprobe::frontend::Diagnostic::Severity::Error)
            return true;
    return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const jitprobe::frontend::CompileOptions options = fuzzOptions();
    std::string source(reinterpret_cast<const char *>(data), size);
    jitprobe::frontend::CompileResult r = jitprobe::frontend::compile(source, options);
    if (!r.ok && !hasError(r)) {
        std::fprintf(stderr, "frontend failed without an error diagnostic\n");
        std::abort();
    }
    if (r.ok && r.rewritten.empty()) {
        std::fprintf(stderr, "frontend succeeded with an empty rewritten source\n");
        std::abort();
    }
    return 0;
}
