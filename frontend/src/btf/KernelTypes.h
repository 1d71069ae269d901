// Kernel types for probe sources come from the running kernel's BTF, dumped as C (a vmlinux.h),
// because this machine has no kernel headers. The digest keys caches built from that header.
#pragma once
#include "jitprobe/Status.h"

#include <cstddef>
#include <string>
#include <vector>

namespace jitprobe::frontend {

// Dumps every type in the BTF file at btf_path as C, wrapped like `bpftool btf dump ... format c`
// (include guard + preserve_access_index for CO-RE). Errors name the file.
[[nodiscard]] Result<std::string> generateVmlinuxHeader(const std::string &btf_path);

// vmlinux.h cut at blank lines between top-level declarations into parts of about part_bytes:
// top keeps the include guard and the preserve_access_index pragma and includes the parts in
// order, as "part-NNN.h" from its own directory. Why: Clang indexes every line of a file the
// first time it needs one line number there; debug info asks for the lines of the few kernel
// types a probe uses, and one 2.8 MB file made that ~3 ms of every compile. A header not in
// generate's shape comes back whole (no parts).
struct SplitHeader {
    std::string top;
    std::vector<std::string> parts; // parts[i] is vmlinuxPartName(i)
};
SplitHeader splitVmlinuxHeader(const std::string &header, std::size_t part_bytes);
std::string vmlinuxPartName(std::size_t index); // "part-007.h"

// Lowercase hex SHA-256 of the file's bytes; empty if it cannot be read.
std::string fileDigest(const std::string &path);

} // namespace jitprobe::frontend
