#include "Tracefs.h"

#include "jitprobe/common/Errors.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <mutex>

namespace jitprobe::detail {
namespace {

constexpr const char *kTracefs = "/sys/kernel/tracing";
constexpr const char *kDebugfsTracing = "/sys/kernel/debug/tracing";

bool isDirectory(const std::string &path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// libbpf 1.1 prefers /sys/kernel/debug/tracing whenever that path exists, so do we.
Result<std::string> findOrMount() {
    if (isDirectory(kDebugfsTracing) && Tracefs::looksMounted(kDebugfsTracing))
        return std::string(kDebugfsTracing);
    if (Tracefs::looksMounted(kTracefs))
        return std::string(kTracefs);
    if (!isDirectory(kTracefs))
        return Status(ENOENT, std::string("tracefs: ") + kTracefs +
                                  " does not exist (is sysfs mounted at /sys?)");
    if (::mount("nodev", kTracefs, "tracefs", 0, nullptr) != 0) {
        int err = errno;
        std::string why = (err == EPERM || err == EACCES)
                              ? "; mounting needs root (CAP_SYS_ADMIN)"
                              : "";
        return Status(err, std::string("tracefs is not mounted and mounting it at ") + kTracefs +
                               " failed: " + errnoText(err) + why);
    }
    if (!Tracefs::looksMounted(kTracefs))
        return Status(ENOENT, std::string("tracefs mounted at ") + kTracefs +
                                  " but it has no events/ directory");
    return std::string(kTracefs);
}

} // namespace

bool Tracefs::looksMounted(const std::string &dir) { return isDirectory(dir + "/events"); }

Result<std::string> Tracefs::ensureMounted() {
    static std::mutex mutex;
    static std::string found;
    std::lock_guard lock(mutex);
    if (!found.empty() && looksMounted(found))
        return found;
    auto result = findOrMount();
    if (result.ok())
        found = result.value();
    return result;
}

} // namespace jitprobe::detail
