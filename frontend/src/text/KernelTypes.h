// Kernel types for probe sources come from the running kernel's BTF, dumped as C (a vmlinux.h),
// because this machine has no kernel headers. The digest keys caches built from that header.
#pragma once
#include <string>

namespace jitprobe::frontend {

// Dumps every type in the BTF file at btf_path as C, wrapped like `bpftool btf dump ... format c`
// (include guard + preserve_access_index for CO-RE). false + error on failure.
bool generateVmlinuxHeader(const std::string &btf_path, std::string &out, std::string &error);

// Lowercase hex SHA-256 of the file's bytes; empty if it cannot be read.
std::string fileDigest(const std::string &path);

} // namespace jitprobe::frontend
