// Finds the jitprobe-compiler executable (Clang/LLVM inside), which the runtime starts only when
// a probe source must actually be compiled: the process running probes never maps LLVM.
#pragma once
#include "jitprobe/Status.h"

#include <string>
#include <vector>

namespace jitprobe::detail {

class CompilerLocator {
  public:
    static constexpr const char *kExecutableName = "jitprobe-compiler";

    // Where to look, in order: $JITPROBE_COMPILER (a full path), the directory holding
    // libjitprobe.so, its ../libexec/jitprobe (an installed tree, wherever its prefix now is) and
    // ../frontend (build tree) siblings, the build tree's frontend dir, the install libexec dir.
    // Empty inputs are skipped; duplicates removed.
    static std::vector<std::string> candidatePaths(const std::string &env_override,
                                                   const std::string &self_dir,
                                                   const std::string &build_dir,
                                                   const std::string &install_dir);

    // candidatePaths() for this process: environment, this library's directory, build tree,
    // install libexec dir.
    static std::vector<std::string> searchPaths();

    // The first candidate that is an executable file ($JITPROBE_COMPILER, when set, is the only
    // one); an error lists every path tried. As root, only a candidate checkTrusted() accepts,
    // returned as its resolved path (the one checked is the one run).
    [[nodiscard]] static Result<std::string> find();

    // As root, the compiler runs with every privilege: PATH (symlinks resolved) and every
    // directory above it must be owned by root and not writable by group or others (a sticky
    // directory excepted, like /tmp). Walked with openat + O_NOFOLLOW + fstat, component by
    // component. Returns the resolved path, or EPERM naming the path and why.
    [[nodiscard]] static Result<std::string> checkTrusted(const std::string &path);

    // The directory of the loaded libjitprobe.so (via dladdr), "" if unknown.
    static std::string selfDirectory();
};

} // namespace jitprobe::detail
