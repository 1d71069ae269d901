// The object cache: compiled probes keyed by SHA-256 of (source, cflags, jitprobe version,
// LLVM version, compiler build, kernel BTF digest). A hit skips the compiler entirely: the
// runtime starts jitprobe-compiler (Clang + LLVM) only on a miss. An entry also keeps the kernel
// BTF cut down to what the probe's CO-RE relocations need, so a hit never parses the whole
// /sys/kernel/btf/vmlinux either.
//
// Where: $JITPROBE_CACHE_DIR, else $XDG_CACHE_HOME/jitprobe, else ~/.cache/jitprobe; for root
// /var/cache/jitprobe. The cache is a security boundary: the directory (and objects/,
// kernel-types/ inside it) must be a real directory (no symlink) owned by the running user with
// mode exactly 0700, and no parent may be writable by others (unless sticky). Otherwise the
// cache is bypassed (every probe compiles) and the reason is reported. Entries carry a SHA-256
// of their payload: a corrupt or truncated entry is deleted and rebuilt, never loaded.
#pragma once
#include "jitprobe/Status.h"

#include <cstdint>
#include <string>

namespace jitprobe {

struct CacheStats {
    std::string directory;
    std::uint64_t entries = 0;     // compiled objects (objects/*.entry)
    std::uint64_t bytes = 0;       // their total size
    std::uint64_t pch_files = 0;   // kernel-type PCH + vmlinux.h parts (kernel-types/)
    std::uint64_t pch_bytes = 0;
};

// The cache directory that would be used: OVERRIDE if not empty, else the default (above).
std::string cache_directory(const std::string &override_dir = "");

// Counts what is in the cache at cache_directory(DIR). Refuses an untrusted directory.
Result<CacheStats> cache_stats(const std::string &dir = "");

// Removes every entry, kernel-type PCH and digest file (the directory itself stays).
// Returns what was removed. Refuses an untrusted directory.
Result<CacheStats> cache_clear(const std::string &dir = "");

} // namespace jitprobe
