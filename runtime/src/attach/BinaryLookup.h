// Short binary names for uprobes ("libc", "libc.so.6", "bash") resolved to the file the system's
// loader (libraries: /etc/ld.so.cache, then the standard directories) or $PATH would pick, or,
// for a PID, the file that process has mapped (/proc/PID/maps).
#pragma once
#include "jitprobe/Status.h"

#include <string>
#include <sys/types.h>

namespace jitprobe::detail {

// True when the base name FILE_NAME is what the short name NAME means: "libc" -> "libc.so.6",
// "libc.so.6" -> itself, "c" -> "libc.so" ... (NAME or lib+NAME, then ".so" or the end).
bool shortNameMatches(const std::string &name, const std::string &file_name);

// The library NAME as listed in the ld.so.cache at CACHE_PATH (native architecture entries).
Result<std::string> libraryFromLdCache(const std::string &name,
                                       const std::string &cache_path = "/etc/ld.so.cache");

// NAME (no '/') resolved as above; PID > 0 looks in that process's mappings first.
Result<std::string> resolveShortBinary(const std::string &name, pid_t pid);

} // namespace jitprobe::detail
