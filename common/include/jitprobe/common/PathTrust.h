// Opening a path root may trust: walked from / one component at a time with openat(O_NOFOLLOW),
// so nothing another user controls (a directory they own or may write, a symlink they planted)
// can redirect or swap what is opened after it was checked.
#pragma once
#include "jitprobe/Status.h"
#include "jitprobe/common/UniqueFd.h"

#include <sys/stat.h>
#include <fcntl.h>
#include <sys/types.h>

#include <string>

namespace jitprobe::common {

// "0755": the permission bits of MODE in octal, for messages.
[[nodiscard]] std::string octalMode(mode_t mode);

struct TrustRule {
    uid_t also_owner = 0;      // a uid allowed to own components besides root
    int final_flags = O_PATH;  // how the last component is opened (| O_NOFOLLOW | O_CLOEXEC)
    bool final_regular = true; // the last component must be a regular file
    mode_t create_mode = 0;    // openTrustedDirectoryPath: missing directories made with it
};

// Why ST (of WHAT, the last component when FINAL) must not be trusted; "" if it may: owned by
// neither root nor RULE.also_owner, or writable by group or others (an ancestor may be sticky,
// like /tmp: others can add names there but not replace ours).
[[nodiscard]] std::string distrustReason(const struct stat &st, const std::string &what,
                                         bool final, const TrustRule &rule);

// Opens ABSOLUTE (an absolute path; a symlink anywhere in it is refused, not followed) after
// checking every component with distrustReason(). EPERM names the component and why; other
// errors carry errno.
[[nodiscard]] Result<UniqueFd> openTrustedPath(const std::string &absolute, const TrustRule &rule);

// The directory ABSOLUTE itself, walked and checked the same way, every component (the last
// too) as an ancestor: O_PATH, for openat() below it.
[[nodiscard]] Result<UniqueFd> openTrustedDirectoryPath(const std::string &absolute,
                                                        const TrustRule &rule);

} // namespace jitprobe::common
