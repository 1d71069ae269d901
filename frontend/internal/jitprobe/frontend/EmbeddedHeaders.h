// Headers compiled into the frontend (dialect + libbpf BPF-side headers), served from memory.
#pragma once
#include <string_view>
#include <vector>

namespace jitprobe::frontend {
struct EmbeddedFile {
    std::string_view path;     // virtual include path, e.g. "bpf/bpf_helpers.h"
    std::string_view contents;
};
const std::vector<EmbeddedFile> &embeddedHeaders();
// SHA-256 over every embedded file's path and SHA-256, computed at build time (keys the PCH
// without hashing ~300 KB of headers on every compile).
std::string_view embeddedHeadersDigest();
} // namespace jitprobe::frontend
