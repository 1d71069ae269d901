// Which capability a permission failure is about: the CLI names it instead of a bare EPERM.
#include "Cli.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace jitprobe::cli {
namespace {

// Not in Debian 12's <linux/capability.h> under these names on every toolchain.
constexpr int kCapPerfmon = 38;
constexpr int kCapBpf = 39;

bool effectiveCapability(int cap) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (::syscall(SYS_capget, &header, data) != 0)
        return true; // cannot tell: do not blame capabilities
    return (data[cap / 32].effective >> (cap % 32)) & 1;
}

} // namespace

std::string missingCapabilities() {
    if (effectiveCapability(CAP_SYS_ADMIN))
        return "";
    std::string missing;
    for (auto [cap, name] : {std::pair{kCapBpf, "CAP_BPF"}, std::pair{kCapPerfmon, "CAP_PERFMON"}})
        if (!effectiveCapability(cap))
            missing += (missing.empty() ? "" : ", ") + std::string(name);
    return missing;
}

void reportFailure(const Status &status) {
    reportError(status.msg());
    if (status.code() != EPERM && status.code() != EACCES)
        return;
    if (std::string missing = missingCapabilities(); !missing.empty())
        reportError("missing capability " + missing +
                    ": loading and attaching probes needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN;"
                    " tracefs probes also CAP_SYS_ADMIN). Run as root, or grant them: "
                    "sudo setcap cap_bpf,cap_perfmon,cap_sys_admin+ep $(which jitprobe)");
}

} // namespace jitprobe::cli
