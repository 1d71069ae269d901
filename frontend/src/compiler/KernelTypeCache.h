// Kernel types for every compile: the BTF-derived vmlinux.h, precompiled once per kernel and
// compiler version into a PCH under the cache directory (parsing vmlinux.h costs ~400 ms; the
// PCH brings a compile to ~50 ms). Without a usable cache directory, vmlinux.h is parsed.
#pragma once
#include "compiler/ClangCompiler.h"

#include <string>
#include <vector>

namespace jitprobe::frontend {

struct KernelTypes {
    std::vector<VirtualFile> files; // vmlinux.h (or a stub when the PCH has it), kernel_compat.h
    std::string pch_path;           // empty: no PCH
    double ms = 0;
};

// Fills `out` for the kernel BTF at btf_path. false + diagnostics when no types can be had.
bool prepareKernelTypes(const std::string &btf_path, const std::string &cache_dir,
                        KernelTypes &out, std::vector<Diagnostic> &diags);

} // namespace jitprobe::frontend
