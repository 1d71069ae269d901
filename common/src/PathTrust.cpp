// openat(O_NOFOLLOW) walks for paths root must not let other users redirect.
#include "jitprobe/common/PathTrust.h"

#include "jitprobe/common/Errors.h"

#include <cerrno>
#include <cstdio>

namespace jitprobe::common {

std::string octalMode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

namespace {

// Why opening NAME under DIR failed: a symlink is named as such (it is refused, never followed).
Status openFailure(int dir, const std::string &name, const std::string &what, int err) {
    struct stat st {};
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        return Status(EPERM, what + " is a symlink (not followed)");
    return detail::errnoStatus(err, what + ": cannot open");
}

} // namespace

std::string distrustReason(const struct stat &st, const std::string &what, bool final,
                           const TrustRule &rule) {
    if (st.st_uid != 0 && st.st_uid != rule.also_owner)
        return what + " is owned by uid " + std::to_string(st.st_uid) + ", not root" +
               (rule.also_owner ? " or uid " + std::to_string(rule.also_owner) : "");
    bool shared = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
    if (shared && (final || (st.st_mode & S_ISVTX) == 0))
        return what + " is writable by group or others (mode " + octalMode(st.st_mode) + ")";
    if (final && rule.final_regular && !S_ISREG(st.st_mode))
        return what + " is not a regular file";
    return "";
}

Result<UniqueFd> openTrustedDirectoryPath(const std::string &absolute, const TrustRule &rule) {
    if (absolute.empty() || absolute[0] != '/')
        return Status(EINVAL, "'" + absolute + "' is not an absolute path");
    UniqueFd dir(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    std::string walked;
    for (size_t start = 1;;) {
        struct stat st {};
        if (!dir || ::fstat(dir.get(), &st) != 0)
            return detail::errnoStatus(errno, (walked.empty() ? "/" : walked) + ": cannot open");
        if (std::string why = distrustReason(st, walked.empty() ? "/" : walked, false, rule);
            !why.empty())
            return Status(EPERM, why);
        if (start >= absolute.size())
            return dir;
        size_t slash = absolute.find('/', start);
        std::string name = absolute.substr(start, slash == std::string::npos ? slash : slash - start);
        start = slash == std::string::npos ? absolute.size() : slash + 1;
        if (name.empty() || name == ".")
            continue;
        if (name == "..")
            return Status(EINVAL, "'" + absolute + "' contains '..'");
        walked += "/" + name;
        if (rule.create_mode)
            ::mkdirat(dir.get(), name.c_str(), rule.create_mode); // EEXIST: checked below
        UniqueFd next(
            ::openat(dir.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next)
            return openFailure(dir.get(), name, walked, errno);
        dir = std::move(next);
    }
}

Result<UniqueFd> openTrustedPath(const std::string &absolute, const TrustRule &rule) {
    size_t slash = absolute.rfind('/');
    if (absolute.empty() || absolute[0] != '/' || slash + 1 == absolute.size())
        return Status(EINVAL, "'" + absolute + "' is not an absolute path to a file");
    std::string parent = slash == 0 ? "/" : absolute.substr(0, slash);
    std::string name = absolute.substr(slash + 1);
    if (name == "." || name == "..")
        return Status(EINVAL, "'" + absolute + "' does not name a file");
    auto dir = openTrustedDirectoryPath(parent, rule);
    if (!dir.ok())
        return dir.status();
    UniqueFd file(::openat(dir->get(), name.c_str(), rule.final_flags | O_NOFOLLOW | O_CLOEXEC));
    if (!file)
        return openFailure(dir->get(), name, absolute, errno);
    struct stat st {};
    if (::fstat(file.get(), &st) != 0)
        return detail::errnoStatus(errno, absolute + ": cannot stat");
    if (std::string why = distrustReason(st, absolute, true, rule); !why.empty())
        return Status(EPERM, why);
    return file;
}

} // namespace jitprobe::common
