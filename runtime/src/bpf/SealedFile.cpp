#include "SealedFile.h"

#include "jitprobe/common/Errors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace jitprobe::detail {

Result<SealedFile> sealedMemoryFile(const std::vector<std::uint8_t> &bytes, const char *name) {
    int fd = ::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return errnoStatus(errno, std::string("memfd_create(") + name + ")");
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            ::close(fd);
            return errnoStatus(err, std::string("writing memfd ") + name);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
        int err = errno;
        ::close(fd);
        return errnoStatus(err, std::string("sealing memfd ") + name);
    }
    return SealedFile{fd, "/proc/self/fd/" + std::to_string(fd)};
}

} // namespace jitprobe::detail
