#include "jitprobe/common/Errors.h"

#include <cstdlib>
#include <cstring>

namespace jitprobe::detail {

std::string errnoText(int err) {
    err = std::abs(err);
    const char *name = strerrorname_np(err); // glibc >= 2.32
    std::string text = name ? name : "errno " + std::to_string(err);
    return text + " (" + std::strerror(err) + ")";
}

Status errnoStatus(int err, const std::string &what) {
    err = std::abs(err);
    return Status(err ? err : -1, what + ": " + errnoText(err));
}

Status withContext(const Status &status, const std::string &context) {
    if (status.ok() || context.empty())
        return status;
    return Status(status.code(), context + ": " + status.msg());
}

} // namespace jitprobe::detail
