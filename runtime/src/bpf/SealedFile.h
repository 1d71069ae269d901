// A sealed, read-only in-memory file, for libbpf's btf_custom_path ("/proc/self/fd/N"): the
// minimized kernel BTF of a cache entry is handed to libbpf this way, so no file in the cache
// directory can be swapped under the loader.
#pragma once
#include "jitprobe/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace jitprobe::detail {

// The caller closes the descriptor once libbpf has read it (after bpf_object__load).
struct SealedFile {
    int fd = -1;
    std::string path;
};
Result<SealedFile> sealedMemoryFile(const std::vector<std::uint8_t> &bytes, const char *name);

} // namespace jitprobe::detail
