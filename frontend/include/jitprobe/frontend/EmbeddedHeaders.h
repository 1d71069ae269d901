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
} // namespace jitprobe::frontend
