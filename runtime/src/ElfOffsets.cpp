#include "ElfOffsets.h"

#include "Errors.h"

#include <elf.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace jitprobe::detail {

Result<uint64_t> elfVaddrToFileOffset(const std::string &binary, uint64_t vaddr) {
    std::ifstream in(binary, std::ios::binary);
    if (!in)
        return errnoStatus(errno ? errno : ENOENT, "cannot open '" + binary + "'");
    Elf64_Ehdr eh{};
    if (!in.read(reinterpret_cast<char *>(&eh), sizeof eh) ||
        std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64)
        return Status(ENOEXEC, "'" + binary + "' is not a 64-bit ELF file");
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph{};
        in.seekg(static_cast<std::streamoff>(eh.e_phoff + uint64_t(i) * eh.e_phentsize));
        if (!in.read(reinterpret_cast<char *>(&ph), sizeof ph))
            break;
        if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && vaddr >= ph.p_vaddr &&
            vaddr < ph.p_vaddr + ph.p_memsz)
            return vaddr - ph.p_vaddr + ph.p_offset;
    }
    std::ostringstream hex;
    hex << std::hex << vaddr;
    return Status(EINVAL, "address 0x" + hex.str() + " is in no executable segment of '" +
                              binary + "'");
}

} // namespace jitprobe::detail
