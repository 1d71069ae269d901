// <key>.manifest beside a kernel-type PCH: the SHA-256 of the PCH and of every file of <key>.d/,
// written with the PCH and checked before each use. A part with a line appended, a part replaced
// by a symlink or a corrupt PCH no longer reaches a compile (or the objects cached from it): the
// check fails and the caller rebuilds them.
#pragma once
#include "jitprobe/Status.h"

#include <string>

namespace jitprobe::frontend {

// Writes STEM.manifest for STEM.pch and STEM.d/* (atomically, never through a symlink).
[[nodiscard]] bool writeKernelTypeManifest(const std::string &stem);

// OK when STEM.manifest exists and every file it lists (opened with O_NOFOLLOW: regular files
// only) has its digest, and STEM.d/ holds nothing else; else what differed. A pass is
// remembered in STEM.verified (each file's dev/ino/size/mtime/ctime): while those stay the same
// the files are not hashed again.
[[nodiscard]] Status verifyKernelTypeManifest(const std::string &stem);

// The digest STEM.manifest records for FILE (a name in STEM's directory), or "".
std::string manifestDigest(const std::string &stem, const std::string &file);

// Removes STEM.pch, STEM.manifest and STEM.d/ (for a rebuild).
void removeKernelTypes(const std::string &stem);

} // namespace jitprobe::frontend
