// `jitprobe serve`: execs jitprobe-serve (see ServeMain.cpp), found beside this executable
// (build tree) or in ../libexec/jitprobe (installed). Opened once and executed through that
// descriptor (fexecve); as root only a binary that root owns and no one else can write, in
// directories likewise, is run: the same rule as for the probe compiler.
#include "Cli.h"
#include "jitprobe/common/PathTrust.h"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace jitprobe::cli {
namespace {

Result<common::UniqueFd> openServeBinary(const std::filesystem::path &path) {
    char resolved[PATH_MAX];
    if (!::realpath(path.c_str(), resolved))
        return Status(errno, path.string() + ": " + std::strerror(errno));
    if (::geteuid() != 0) {
        common::UniqueFd fd(::open(resolved, O_PATH | O_CLOEXEC));
        if (!fd)
            return Status(errno, std::string(resolved) + ": " + std::strerror(errno));
        return fd;
    }
    return common::openTrustedPath(resolved, common::TrustRule{});
}

} // namespace

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
    for (const auto &path : candidates) {
        if (::access(path.c_str(), F_OK) != 0)
            continue;
        Result<common::UniqueFd> binary = openServeBinary(path);
        if (!binary.ok()) {
            reportError("serve: refusing to run '" + path.string() + "': " + binary.status().msg());
            return kExitFailure;
        }
        ::fexecve(binary->get(), cargv.data(), environ);
        reportError("serve: cannot run '" + path.string() + "': " + std::strerror(errno));
        return kExitFailure;
    }
    reportError("serve: jitprobe-serve not found beside '" + self.string() + "' nor in ../libexec/jitprobe");
    return kExitFailure;
}

} // namespace jitprobe::cli
