// The cache directory as a security boundary: where it is, whether it may be trusted (owned by
// us, exactly 0700, no symlink, no parent others may write), and file I/O that never follows a
// symlink or trusts a file someone else could have written.
#include "jitprobe/common/UniqueFd.h"
#include "jitprobe/common/Errors.h"
#include "jitprobe/common/PathTrust.h"
#include "ObjectCache.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace jitprobe::detail {
namespace {

std::string homeDirectory() {
    if (const char *home = std::getenv("HOME"); home && home[0] == '/')
        return home;
    if (const passwd *pw = ::getpwuid(::geteuid()); pw && pw->pw_dir)
        return pw->pw_dir;
    return "";
}

Status checkOpenedDirectory(int fd, const std::string &path, bool just_created) {
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return errnoStatus(errno, "cache directory " + path + ": cannot stat");
    if (st.st_uid != ::geteuid())
        return Status(EPERM, "cache directory " + path + " is owned by uid " +
                                 std::to_string(st.st_uid) + ", not by this user (uid " +
                                 std::to_string(::geteuid()) + ")");
    if (just_created && (st.st_mode & 07777) != 0700 && ::fchmod(fd, 0700) == 0)
        st.st_mode = (st.st_mode & ~07777) | 0700; // umask may have dropped bits we need
    if ((st.st_mode & 07777) != 0700)
        return Status(EPERM, "cache directory " + path + " has mode " + common::octalMode(st.st_mode) +
                                 ", expected 0700" +
                                 ((st.st_mode & 0022) ? " (writable by other users)" : "") +
                                 " (fix: chmod 700 " + path + ")");
    return Status::OK();
}

} // namespace

std::string defaultCacheDirectory() {
    if (const char *env = std::getenv("JITPROBE_CACHE_DIR"); env && env[0])
        return env;
    if (::geteuid() == 0)
        return "/var/cache/jitprobe";
    if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && xdg[0] == '/')
        return std::string(xdg) + "/jitprobe";
    std::string home = homeDirectory();
    return home.empty() ? "" : home + "/.cache/jitprobe";
}

Result<int> openTrustedDirectory(const std::string &path, bool create) {
    if (path.empty() || path[0] != '/')
        return Status(EINVAL, "cache directory '" + path + "' is not an absolute path");
    std::string clean = path;
    while (clean.size() > 1 && clean.back() == '/')
        clean.pop_back();
    auto slash = clean.rfind('/');
    std::string name = clean.substr(slash + 1);
    if (name.empty() || name == "." || name == "..")
        return Status(EINVAL, "cache directory '" + path + "' does not name a directory");
    // Walked from / with openat(O_NOFOLLOW), never by path string: a symlink anywhere (one
    // another user planted in /tmp, say) is refused, and every ancestor must be owned by root or
    // us and, unless sticky, not writable by group or others, so none can be swapped later.
    common::TrustRule rule;
    rule.also_owner = ::geteuid();
    rule.create_mode = create ? 0700 : 0;
    auto parent = common::openTrustedDirectoryPath(slash == 0 ? "/" : clean.substr(0, slash), rule);
    if (!parent.ok())
        return Status(parent.status().code(),
                      "cache directory " + clean + ": parent " + parent.status().msg() +
                          " (it may be changed by other users)");
    bool created = create && ::mkdirat(parent->get(), name.c_str(), 0700) == 0;
    common::UniqueFd fd(::openat(parent->get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        int err = errno;
        struct stat st {};
        if (::fstatat(parent->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
            return Status(ELOOP, "cache directory " + clean + " is a symlink (refused)");
        return errnoStatus(err, "cache directory " + clean + ": cannot open");
    }
    if (Status s = checkOpenedDirectory(fd.get(), clean, created); !s.ok())
        return s;
    return fd.release(); // the caller owns it (ObjectCache keeps it in a UniqueFd)
}

Result<std::string> readOwnFile(int dir_fd, const std::string &name, std::uint64_t max_size) {
    common::UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        return Status(errno, errno == ENOENT ? name + ": no such file" : name + ": cannot open: " + errnoText(errno));
    struct stat st {};
    bool trusted = ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
                   (st.st_mode & 0077) == 0;
    if (!trusted)
        return Status(EPERM, name + ": not a private regular file of this user (owner uid " +
                                 std::to_string(st.st_uid) + ", mode " + common::octalMode(st.st_mode) + ")");
    if (static_cast<std::uint64_t>(st.st_size) > max_size) // before allocating any of it
        return Status(EFBIG, name + ": " + std::to_string(st.st_size) + " bytes, over the " +
                                 std::to_string(max_size) + "-byte cap");
    std::string out(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
        ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += static_cast<std::size_t>(n);
    }
    out.resize(done); // shorter than fstat said: the caller's checks see a truncated file
    return out;
}

} // namespace jitprobe::detail
