// See Files.h. No fsync: every reader checks what it reads (an entry's SHA-256, a digest memo's
// stamp, the kernel-type manifest), so a file a crash left torn is rebuilt, never trusted; a
// flush to disk would add ~10-20 ms to every cache miss.
#include "jitprobe/common/Files.h"

#include "jitprobe/common/Errors.h"
#include "jitprobe/common/UniqueFd.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

namespace jitprobe::common {
namespace {

std::string tempNameFor(const std::string &name) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    auto slash = name.rfind('/');
    std::string dir = slash == std::string::npos ? "" : name.substr(0, slash + 1);
    std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
    return dir + ".tmp." + base + "." + std::to_string(::getpid()) + "." + std::to_string(rng());
}

bool writeAll(int fd, std::string_view bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

} // namespace

Status writeFileAtomically(int dir_fd, const std::string &name, std::string_view bytes) {
    std::string tmp = tempNameFor(name);
    UniqueFd fd(::openat(dir_fd, tmp.c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd)
        return detail::errnoStatus(errno, "cannot create " + tmp);
    bool ok = writeAll(fd.get(), bytes) && ::fchmod(fd.get(), 0600) == 0;
    int err = errno;
    ok = ::close(fd.release()) == 0 && ok;
    if (ok && ::renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) == 0)
        return Status::OK();
    err = ok ? errno : (err ? err : EIO);
    ::unlinkat(dir_fd, tmp.c_str(), 0);
    return detail::errnoStatus(err, "cannot write " + name);
}

} // namespace jitprobe::common
