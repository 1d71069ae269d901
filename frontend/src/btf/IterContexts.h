// BCC-era iterator programs declare their context struct themselves (struct bpf_iter__task,
// struct bpf_iter__bpf_sk_storage_map, ...) because kernel headers did not export it. The
// kernel's BTF does, so with vmlinux.h such a declaration is a redefinition.
#pragma once
#include <string>

namespace jitprobe::frontend {

// SOURCE with every `struct bpf_iter__NAME { ... };` definition blanked (spaces; newlines kept,
// so lines and columns of the rest stay put): the kernel's identical definition is used.
std::string blankIterContextDefinitions(const std::string &source);

} // namespace jitprobe::frontend
