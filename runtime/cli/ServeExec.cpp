// `jitprobe serve`: execs jitprobe-serve (see ServeMain.cpp), found beside this executable
// (build tree) or in ../libexec/jitprobe (installed).
#include "Cli.h"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace jitprobe::cli {

int serveExec(const std::vector<std::string> &args) {
    std::error_code ec;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    std::vector<std::filesystem::path> candidates;
    if (!ec) {
        candidates.push_back(self.parent_path() / "jitprobe-serve");
        candidates.push_back(self.parent_path().parent_path() / "libexec/jitprobe/jitprobe-serve");
    }
    std::vector<std::string> argv{"jitprobe-serve", "--log-level",
                                  spdlog::level::to_string_view(spdlog::get_level()).data()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char *> cargv;
    for (std::string &a : argv)
        cargv.push_back(a.data());
    cargv.push_back(nullptr);
    for (const auto &path : candidates)
        if (::access(path.c_str(), X_OK) == 0) {
            ::execv(path.c_str(), cargv.data());
            reportError("serve: cannot run '" + path.string() + "': " + std::strerror(errno));
            return kExitFailure;
        }
    reportError("serve: jitprobe-serve not found beside '" + self.string() + "' nor in ../libexec/jitprobe");
    return kExitFailure;
}

} // namespace jitprobe::cli
