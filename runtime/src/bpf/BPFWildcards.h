// Wildcard forms of attach_tracepoint / attach_kprobe / attach_uprobe (issue 16): each expands
// its pattern and attaches every match through the single-target call, all or nothing.
#pragma once
#include "jitprobe/BPF.h"
#include "jitprobe/common/ElfFile.h"

namespace jitprobe::detail {

[[nodiscard]] Status attachTracepointPattern(BPF &bpf, const std::string &pattern,
                                             const std::string &probe_func);
[[nodiscard]] Status attachKprobePattern(BPF &bpf, const std::string &pattern,
                                         const std::string &probe_func,
                                         bpf_probe_attach_type attach_type);
// FILE is BINARY opened; PATTERN a symbol glob that names no symbol literally.
[[nodiscard]] Status attachUprobePattern(BPF &bpf, const std::string &binary,
                                         const common::ElfFile &file, const std::string &pattern,
                                         const std::string &probe_func,
                                         bpf_probe_attach_type attach_type, pid_t pid);

} // namespace jitprobe::detail
