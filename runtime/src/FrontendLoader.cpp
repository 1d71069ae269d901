#include "FrontendLoader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstdlib>
#include <mutex>

#ifndef JITPROBE_BUILD_LIBDIR
#define JITPROBE_BUILD_LIBDIR ""
#endif
#ifndef JITPROBE_INSTALL_LIBDIR
#define JITPROBE_INSTALL_LIBDIR ""
#endif

namespace jitprobe::detail {
namespace {

using ApiEntry = const frontend::Api *(*)();

struct LoadAttempt {
    const frontend::Api *api = nullptr;
    std::string failure; // "PATH: why" when this path did not work
};

LoadAttempt tryLoad(const std::string &path) {
    if (::access(path.c_str(), F_OK) != 0)
        return {nullptr, path + ": not found"};
    // RTLD_LOCAL: keep LLVM's symbols out of the global namespace of the host program.
    void *handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        return {nullptr, path + ": dlopen failed: " + ::dlerror()};
    auto entry = reinterpret_cast<ApiEntry>(::dlsym(handle, "jitprobe_frontend_api"));
    if (!entry) {
        ::dlclose(handle);
        return {nullptr, path + ": no symbol 'jitprobe_frontend_api'"};
    }
    const frontend::Api *api = entry();
    if (!api || api->abi_version != frontend::kApiVersion) {
        unsigned got = api ? api->abi_version : 0;
        ::dlclose(handle);
        return {nullptr, path + ": frontend ABI version " + std::to_string(got) + ", expected " +
                             std::to_string(frontend::kApiVersion)};
    }
    return {api, ""}; // the handle stays open for the life of the process
}

std::string parentDir(const std::string &path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

} // namespace

std::vector<std::string> FrontendLoader::candidatePaths(const std::string &env_override,
                                                        const std::string &self_dir,
                                                        const std::string &build_libdir,
                                                        const std::string &install_libdir) {
    std::vector<std::string> paths;
    auto add = [&](const std::string &p) {
        if (!p.empty() && std::find(paths.begin(), paths.end(), p) == paths.end())
            paths.push_back(p);
    };
    add(env_override);
    if (!self_dir.empty()) {
        add(self_dir + "/" + kLibraryName);
        add(parentDir(self_dir) + "/frontend/" + kLibraryName);
    }
    if (!build_libdir.empty())
        add(build_libdir + "/" + kLibraryName);
    if (!install_libdir.empty())
        add(install_libdir + "/" + kLibraryName);
    return paths;
}

std::string FrontendLoader::selfDirectory() {
    Dl_info info{};
    if (::dladdr(reinterpret_cast<void *>(&FrontendLoader::selfDirectory), &info) == 0 ||
        !info.dli_fname)
        return "";
    char resolved[PATH_MAX];
    if (!::realpath(info.dli_fname, resolved))
        return parentDir(info.dli_fname);
    return parentDir(resolved);
}

std::vector<std::string> FrontendLoader::searchPaths() {
    const char *env = std::getenv("JITPROBE_FRONTEND_LIB");
    return candidatePaths(env ? env : "", selfDirectory(), JITPROBE_BUILD_LIBDIR,
                          JITPROBE_INSTALL_LIBDIR);
}

Result<const frontend::Api *> FrontendLoader::api() {
    static std::mutex mutex;
    static const frontend::Api *loaded = nullptr;
    std::lock_guard lock(mutex);
    if (loaded)
        return loaded;
    auto paths = searchPaths();
    std::string tried;
    for (const auto &path : paths) {
        LoadAttempt attempt = tryLoad(path);
        if (attempt.api) {
            loaded = attempt.api;
            return loaded;
        }
        tried += "\n  " + attempt.failure;
    }
    return Status(ENOENT, std::string("cannot load the probe compiler ") + kLibraryName +
                              " (set JITPROBE_FRONTEND_LIB to its full path); tried:" + tried);
}

} // namespace jitprobe::detail
