// Writing a file so that no reader ever sees half of it and nothing planted on the way is
// followed: the one atomic write of the project (object cache, kernel-type cache, manifests).
#pragma once
#include "jitprobe/Status.h"

#include <string>
#include <string_view>

namespace jitprobe::common {

// Writes BYTES to NAME (relative to DIR_FD; AT_FDCWD for a path) through a fresh temp file in
// the same directory (".tmp.<base>.<pid>.<random>", O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600) that
// is renamed over NAME. Not flushed to disk: readers verify what they read (digests, stamps).
[[nodiscard]] Status writeFileAtomically(int dir_fd, const std::string &name,
                                         std::string_view bytes);

} // namespace jitprobe::common
