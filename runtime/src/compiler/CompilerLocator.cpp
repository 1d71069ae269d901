#include "CompilerLocator.h"

#include "jitprobe/common/Errors.h"
#include "jitprobe/common/PathTrust.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>

#ifndef JITPROBE_BUILD_COMPILER_DIR
#define JITPROBE_BUILD_COMPILER_DIR ""
#endif
#ifndef JITPROBE_INSTALL_COMPILER_DIR
#define JITPROBE_INSTALL_COMPILER_DIR ""
#endif

namespace jitprobe::detail {
namespace {

std::string parentDir(const std::string &path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

// $JITPROBE_COMPILER; secure_getenv: never taken from the environment of a set-uid start.
const char *compilerOverride() {
    return ::secure_getenv("JITPROBE_COMPILER");
}

} // namespace

Result<std::string> CompilerLocator::checkTrusted(const std::string &path) {
    char resolved[PATH_MAX];
    if (!::realpath(path.c_str(), resolved))
        return errnoStatus(errno, path + ": cannot resolve");
    auto opened = common::openTrustedPath(resolved, common::TrustRule{});
    if (!opened.ok())
        return Status(EPERM, "refusing to run the probe compiler " + path + " as root: " +
                                 opened.status().msg() +
                                 " (as root, the compiler and every directory above it must be "
                                 "owned by root and not writable by group or others)");
    return std::string(resolved);
}

std::vector<std::string> CompilerLocator::candidatePaths(const std::string &env_override,
                                                         const std::string &self_dir,
                                                         const std::string &build_dir,
                                                         const std::string &install_dir) {
    std::vector<std::string> paths;
    auto add = [&](const std::string &p) {
        if (!p.empty() && std::find(paths.begin(), paths.end(), p) == paths.end())
            paths.push_back(p);
    };
    add(env_override);
    if (!self_dir.empty()) {
        add(self_dir + "/" + kExecutableName);
        add(parentDir(self_dir) + "/libexec/jitprobe/" + kExecutableName); // installed: lib/.., bin/..
        add(parentDir(self_dir) + "/frontend/" + kExecutableName);         // build tree
    }
    if (!build_dir.empty())
        add(build_dir + "/" + kExecutableName);
    if (!install_dir.empty())
        add(install_dir + "/" + kExecutableName);
    return paths;
}

std::string CompilerLocator::selfDirectory() {
    Dl_info info{};
    link_map *map = nullptr;
    if (::dladdr1(reinterpret_cast<void *>(&CompilerLocator::selfDirectory), &info,
                  reinterpret_cast<void **>(&map), RTLD_DL_LINKMAP) == 0 ||
        !info.dli_fname)
        return "";
    char resolved[PATH_MAX];
    // Linked into the program itself (the CLI): the loader knows it only by argv[0].
    if (map && map->l_name && !*map->l_name) {
        ssize_t n = ::readlink("/proc/self/exe", resolved, sizeof resolved - 1);
        if (n <= 0)
            return "";
        resolved[n] = '\0';
        return parentDir(resolved);
    }
    if (!::realpath(info.dli_fname, resolved))
        return parentDir(info.dli_fname);
    return parentDir(resolved);
}

std::vector<std::string> CompilerLocator::searchPaths() {
    const char *env = compilerOverride();
    return candidatePaths(env ? env : "", selfDirectory(), JITPROBE_BUILD_COMPILER_DIR,
                          JITPROBE_INSTALL_COMPILER_DIR);
}

Result<std::string> CompilerLocator::find() {
    // An explicit choice is the only one: a typo there must not silently run another build.
    const char *env = compilerOverride();
    bool explicit_choice = env && *env;
    std::vector<std::string> paths =
        explicit_choice ? std::vector<std::string>{env} : searchPaths();
    std::string tried;
    for (const auto &path : paths) {
        if (::access(path.c_str(), X_OK) != 0) {
            tried += "\n  " + path + ": " + errnoText(errno);
            continue;
        }
        if (::geteuid() != 0)
            return path;
        Result<std::string> trusted = checkTrusted(path);
        if (trusted.ok() || explicit_choice)
            return trusted;
        tried += "\n  " + trusted.status().msg();
    }
    return Status(ENOENT, std::string("cannot find the probe compiler ") + kExecutableName +
                              " (set JITPROBE_COMPILER to its full path); tried:" + tried);
}

} // namespace jitprobe::detail
