// makeFileSystem: what a Clang instance of one compile reads (see CompilerFileSystem.cpp).
#pragma once
#include "compiler/ClangCompiler.h"

#include <llvm/ADT/IntrusiveRefCntPtr.h>
#include <llvm/Support/VirtualFileSystem.h>

namespace jitprobe::frontend {

// JOB's files and main source in memory, over the embedded headers (served from the binary's
// bytes), over the disk, where job.kernel_types_dir appears as kKernelTypesVirtualDir.
llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> makeFileSystem(const ClangJob &job);

} // namespace jitprobe::frontend
