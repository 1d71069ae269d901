// ELF virtual address -> file offset, for uprobes given by address (BCC's symbol_addr): the
// kernel wants a file offset, users have addresses from nm/objdump.
#pragma once
#include "jitprobe/Status.h"
#include "jitprobe/common/ElfFile.h"

#include <cstdint>
#include <string>

namespace jitprobe::detail {

// Maps VADDR through BINARY's executable PT_LOAD program headers.
Result<uint64_t> elfVaddrToFileOffset(const std::string &binary, uint64_t vaddr);

// The address of function NAME in BINARY's symbol tables. Several entries that agree on the
// address (symbol versions, e.g. glibc's clock_nanosleep@GLIBC_2.2.5 and @@GLIBC_2.17) are one
// function; libbpf 1.1 calls them ambiguous.
Result<uint64_t> elfFunctionAddress(const std::string &binary, const std::string &name);

// "; did you mean 'malloc'?" when BINARY defines functions named close to NAME, else "".
std::string closeFunctionNames(const std::string &binary, const std::string &name);

// Overloads on a file already open: the uprobe attach resolves symbols from the very file it
// attaches to (BINARY names it in errors).
Result<uint64_t> elfVaddrToFileOffset(const common::ElfFile &file, uint64_t vaddr);
Result<uint64_t> elfFunctionAddress(const common::ElfFile &file, const std::string &name);
std::string closeFunctionNames(const common::ElfFile &file, const std::string &name);

// BINARY opened once for a uprobe, as root only if no other user can replace it: the file and
// every directory above it (symlinks resolved first, then walked with openat + O_NOFOLLOW) owned
// by root or the real uid and not writable by group or others. EPERM names the path and why.
[[nodiscard]] Result<common::ElfFile> openUprobeBinary(const std::string &binary);

} // namespace jitprobe::detail
