// Loads libjitprobe-frontend.so (Clang/LLVM inside) with dlopen, only when a probe source must
// actually be compiled: linking LLVM costs ~100 ms and ~68 MiB before main, which a cached or
// precompiled object must never pay.
#pragma once
#include "jitprobe/Status.h"
#include "jitprobe/frontend/Frontend.h"

#include <string>
#include <vector>

namespace jitprobe::detail {

class FrontendLoader {
  public:
    static constexpr const char *kLibraryName = "libjitprobe-frontend.so";

    // Where to look, in order: $JITPROBE_FRONTEND_LIB (a full path), the directory holding
    // libjitprobe.so and its ../frontend sibling (build tree), the build tree's frontend dir,
    // the install libdir. Empty inputs are skipped; duplicates removed.
    static std::vector<std::string> candidatePaths(const std::string &env_override,
                                                   const std::string &self_dir,
                                                   const std::string &build_libdir,
                                                   const std::string &install_libdir);

    // candidatePaths() for this process: environment, this library's directory, build tree,
    // install libdir. Used by the object cache to identify the frontend build without loading it.
    static std::vector<std::string> searchPaths();

    // The process-wide frontend API, loading the library on first call. Thread-safe. A failure
    // lists every path tried and why each did not work; it is retried on the next call.
    static Result<const frontend::Api *> api();

    // The directory of the loaded libjitprobe.so (via dladdr), "" if unknown.
    static std::string selfDirectory();
};

} // namespace jitprobe::detail
