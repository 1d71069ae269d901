#include "SealedFile.h"
#include "jitprobe/common/UniqueFd.h"

#include "jitprobe/common/Errors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

namespace jitprobe::detail {

Result<SealedFile> sealedMemoryFile(const std::vector<std::uint8_t> &bytes, const char *name) {
    common::UniqueFd fd(::memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd)
        return errnoStatus(errno, std::string("memfd_create(") + name + ")");
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return errnoStatus(n < 0 ? errno : EIO, std::string("writing memfd ") + name);
        done += static_cast<std::size_t>(n);
    }
    if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
        return errnoStatus(errno, std::string("sealing memfd ") + name);
    std::string path = "/proc/self/fd/" + std::to_string(fd.get());
    return SealedFile{fd.release(), path}; // the caller owns it (BPF::Impl closes it)
}

} // namespace jitprobe::detail
