// Kernel types for every compile: the BTF-derived vmlinux.h, precompiled once per kernel and
// compiler version into a PCH under the cache directory (parsing vmlinux.h costs ~400 ms; the
// PCH brings a compile to ~50 ms). Beside the PCH, <key>.d/ keeps vmlinux.h cut in parts (see
// splitVmlinuxHeader), which compiles read through kKernelTypesVirtualDir when they need the
// text of a kernel type. Without a usable cache directory, vmlinux.h is parsed.
#pragma once
#include "compiler/ClangCompiler.h"

#include <string>
#include <vector>

namespace jitprobe::frontend {

struct KernelTypes {
    std::vector<VirtualFile> files; // kernel_compat.h, vmlinux.h (a stub with the PCH) ...
    std::string pch_path;           // empty: no PCH
    std::string kernel_types_dir;   // with the PCH: its <key>.d/
    double ms = 0;
};

// Fills `out` for the kernel BTF at btf_path. false + diagnostics when no types can be had.
bool prepareKernelTypes(const std::string &btf_path, const std::string &cache_dir,
                        KernelTypes &out, std::vector<Diagnostic> &diags);

} // namespace jitprobe::frontend
