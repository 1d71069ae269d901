// makeFileSystem: what a Clang instance of one compile reads (see CompilerFileSystem.cpp).
#pragma once
#include "compiler/ClangCompiler.h"

#include <llvm/ADT/IntrusiveRefCntPtr.h>
#include <llvm/Support/VirtualFileSystem.h>

#include <cstdint>

namespace jitprobe::frontend {

// What a #include may read from disk (jitprobe's kernel-type cache excepted).
inline constexpr uint64_t kMaxIncludedFileSize = uint64_t(16) << 20;

// JOB's files and main source in memory, over the embedded headers (served from the binary's
// bytes), over the disk, where job.kernel_types_dir appears as kKernelTypesVirtualDir. Disk
// files must be regular and at most kMaxIncludedFileSize, else opening them fails with a
// message Clang prints at the #include.
llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> makeFileSystem(const ClangJob &job);

} // namespace jitprobe::frontend
