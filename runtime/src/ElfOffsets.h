// ELF virtual address -> file offset, for uprobes given by address (BCC's symbol_addr): the
// kernel wants a file offset, users have addresses from nm/objdump.
#pragma once
#include "jitprobe/Status.h"

#include <cstdint>
#include <string>

namespace jitprobe::detail {

// Maps VADDR through BINARY's PT_LOAD program headers (64-bit ELF only).
Result<uint64_t> elfVaddrToFileOffset(const std::string &binary, uint64_t vaddr);

} // namespace jitprobe::detail
