#include "compiler/KernelTypeManifest.h"
#include "jitprobe/common/Files.h"

#include "jitprobe/common/Sha256.h"
#include "jitprobe/common/UniqueFd.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <vector>

namespace jitprobe::frontend {
namespace {

constexpr const char *kHeader = "jitprobe kernel-types manifest v1\n";
constexpr std::size_t kMaxManifestBytes = 1 << 20;

std::string baseName(const std::string &path) {
    return path.substr(path.rfind('/') + 1);
}

// SHA-256 of a regular file opened without following a symlink; "" when it cannot be had.
std::string digestNoFollow(const std::string &path) {
    common::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode))
        return "";
    Sha256 hash;
    std::vector<char> buf(1 << 16);
    for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return "";
        if (n == 0)
            break;
        hash.update(buf.data(), static_cast<std::size_t>(n));
    }
    return hash.finishHex();
}

// Names in DIR (without . and ..), sorted; false when DIR cannot be read.
bool listDirectory(const std::string &dir, std::vector<std::string> &names) {
    DIR *d = ::opendir(dir.c_str());
    if (!d)
        return false;
    while (const dirent *e = ::readdir(d))
        if (std::string name = e->d_name; name != "." && name != "..")
            names.push_back(name);
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return true;
}

// The files a manifest covers, relative to the kernel-types directory.
bool coveredFiles(const std::string &stem, std::vector<std::string> &files) {
    std::vector<std::string> parts;
    if (!listDirectory(stem + ".d", parts))
        return false;
    files = {baseName(stem) + ".pch"};
    for (const auto &part : parts)
        files.push_back(baseName(stem) + ".d/" + part);
    return true;
}

bool readManifest(const std::string &path, std::string &text) {
    common::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_uid != ::geteuid() || static_cast<std::size_t>(st.st_size) > kMaxManifestBytes)
        return false;
    text.resize(static_cast<std::size_t>(st.st_size));
    return ::read(fd.get(), text.data(), text.size()) == st.st_size;
}

// "NAME dev ino size mtime ctime" of each of FILES and of the manifest, each opened without
// following a symlink (regular files of ours only); "" when one cannot be had. Any write to a
// file changes its mtime and ctime, and ctime cannot be set back from user space, so an equal
// identity means the bytes a full check hashed are still the bytes on disk.
std::string identityOf(const std::string &dir, std::vector<std::string> files) {
    std::string text;
    for (const auto &file : files) {
        common::UniqueFd fd(::open((dir + file).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        struct stat st {};
        if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid())
            return "";
        std::ostringstream line;
        line << file << ' ' << st.st_dev << ' ' << st.st_ino << ' ' << st.st_size << ' '
             << st.st_mtim.tv_sec << '.' << st.st_mtim.tv_nsec << ' ' << st.st_ctim.tv_sec << '.'
             << st.st_ctim.tv_nsec << '\n';
        text += line.str();
    }
    return text;
}

// STEM.verified: the identities of the files a full check (or the build) just hashed.
std::string rememberVerified(const std::string &stem, const std::string &dir, std::vector<std::string> files) {
    files.push_back(baseName(stem) + ".manifest");
    std::string identity = identityOf(dir, std::move(files));
    if (!identity.empty())
        (void)common::writeFileAtomically(AT_FDCWD, stem + ".verified", identity);
    return identity;
}

} // namespace

bool writeKernelTypeManifest(const std::string &stem) {
    std::vector<std::string> files;
    if (!coveredFiles(stem, files))
        return false;
    std::string dir = stem.substr(0, stem.rfind('/') + 1);
    std::string text = kHeader;
    for (const auto &file : files) {
        std::string digest = digestNoFollow(dir + file);
        if (digest.empty())
            return false;
        text += digest + " " + file + "\n";
    }
    if (!common::writeFileAtomically(AT_FDCWD, stem + ".manifest", text).ok())
        return false;
    rememberVerified(stem, dir, std::move(files)); // just hashed: the next compile need not
    return true;
}

std::string manifestDigest(const std::string &stem, const std::string &file) {
    std::string text;
    if (!readManifest(stem + ".manifest", text))
        return "";
    std::string suffix = " " + file + "\n";
    for (std::size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1) {
        std::string line = text.substr(at, nl - at + 1);
        if (line.size() > suffix.size() && line.ends_with(suffix))
            return line.substr(0, line.size() - suffix.size());
    }
    return "";
}

namespace {
Status hashKernelTypeManifest(const std::string &stem) {
    std::string text;
    if (!readManifest(stem + ".manifest", text) || text.rfind(kHeader, 0) != 0)
        return Status(ENOENT, baseName(stem) + ": no valid manifest");
    std::vector<std::string> files;
    if (!coveredFiles(stem, files))
        return Status(EIO, baseName(stem) + ".d unreadable");
    std::string dir = stem.substr(0, stem.rfind('/') + 1);
    std::istringstream lines(text.substr(std::string(kHeader).size()));
    std::string digest, file;
    std::size_t listed = 0;
    while (lines >> digest >> file) {
        if (std::find(files.begin(), files.end(), file) == files.end() || digestNoFollow(dir + file) != digest)
            return Status(EBADMSG, file + " differs from its manifest");
        listed++;
    }
    if (listed != files.size())
        return Status(EBADMSG, baseName(stem) + ": files not in the manifest");
    return Status::OK();
}
} // namespace

// Hashing the ~15 MB PCH and its parts cost ~10-60 ms per compile (a cache miss). After one
// full check passes, the files' identities are remembered in STEM.verified; while they stay the
// same (nothing was written to, replaced or added), the check is ~100 fstat calls.
Status verifyKernelTypeManifest(const std::string &stem) {
    std::vector<std::string> files;
    if (!coveredFiles(stem, files))
        return Status(EIO, baseName(stem) + ".d unreadable");
    std::string dir = stem.substr(0, stem.rfind('/') + 1);
    std::vector<std::string> with_manifest = files;
    with_manifest.push_back(baseName(stem) + ".manifest");
    std::string identity = identityOf(dir, with_manifest), remembered;
    if (!identity.empty() && readManifest(stem + ".verified", remembered) && remembered == identity)
        return Status::OK();
    Status s = hashKernelTypeManifest(stem);
    // Remembered only if nothing changed while it was hashed.
    if (s.ok() && !identity.empty() && identityOf(dir, with_manifest) == identity)
        (void)common::writeFileAtomically(AT_FDCWD, stem + ".verified", identity);
    return s;
}

void removeKernelTypes(const std::string &stem) {
    std::vector<std::string> parts;
    if (listDirectory(stem + ".d", parts))
        for (const auto &part : parts)
            ::unlink((stem + ".d/" + part).c_str()); // a symlink itself, never its target
    ::rmdir((stem + ".d").c_str());
    ::unlink((stem + ".pch").c_str());
    ::unlink((stem + ".manifest").c_str());
    ::unlink((stem + ".verified").c_str());
}

} // namespace jitprobe::frontend
