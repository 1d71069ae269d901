#include "ElfOffsets.h"

#include "jitprobe/common/Errors.h"
#include "jitprobe/common/CloseMatches.h"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <set>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

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

namespace {

// Distinct addresses of defined functions called NAME (or NAME@VERSION) in one symbol table.
void collectFunction(Elf *elf, Elf_Scn *scn, const std::string &name, std::set<uint64_t> &out) {
    GElf_Shdr shdr;
    Elf_Data *data = elf_getdata(scn, nullptr);
    if (!gelf_getshdr(scn, &shdr) || !data || shdr.sh_entsize == 0)
        return;
    for (size_t i = 0; i < shdr.sh_size / shdr.sh_entsize; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
            sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
            continue;
        const char *sym_name = elf_strptr(elf, shdr.sh_link, sym.st_name);
        if (!sym_name || std::strncmp(sym_name, name.c_str(), name.size()) != 0)
            continue;
        char next = sym_name[name.size()];
        if (next == '\0' || next == '@')
            out.insert(sym.st_value);
    }
}

// Names (without @VERSION) of the defined functions in one symbol table.
void collectFunctionNames(Elf *elf, Elf_Scn *scn, std::set<std::string> &out) {
    GElf_Shdr shdr;
    Elf_Data *data = elf_getdata(scn, nullptr);
    if (!gelf_getshdr(scn, &shdr) || !data || shdr.sh_entsize == 0)
        return;
    for (size_t i = 0; i < shdr.sh_size / shdr.sh_entsize; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, static_cast<int>(i), &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
            sym.st_shndx == SHN_UNDEF)
            continue;
        const char *sym_name = elf_strptr(elf, shdr.sh_link, sym.st_name);
        if (sym_name && *sym_name)
            out.insert(std::string(sym_name).substr(0, std::strcspn(sym_name, "@")));
    }
}

} // namespace

std::string closeFunctionNames(const std::string &binary, const std::string &name) {
    elf_version(EV_CURRENT);
    int fd = ::open(binary.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return "";
    Elf *elf = elf_begin(fd, ELF_C_READ, nullptr);
    std::set<std::string> names;
    for (Elf_Scn *scn = elf ? elf_nextscn(elf, nullptr) : nullptr; scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) && (shdr.sh_type == SHT_SYMTAB || shdr.sh_type == SHT_DYNSYM))
            collectFunctionNames(elf, scn, names);
    }
    if (elf)
        elf_end(elf);
    ::close(fd);
    auto close = common::closeMatches(name, {names.begin(), names.end()});
    std::string text;
    for (const auto &c : close)
        text += (text.empty() ? "" : ", ") + ("'" + c + "'");
    return text.empty() ? "" : "; did you mean " + text + "?";
}

Result<uint64_t> elfFunctionAddress(const std::string &binary, const std::string &name) {
    elf_version(EV_CURRENT);
    int fd = ::open(binary.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errnoStatus(errno, "cannot open '" + binary + "'");
    Elf *elf = elf_begin(fd, ELF_C_READ, nullptr);
    std::set<uint64_t> addresses;
    for (Elf_Scn *scn = elf ? elf_nextscn(elf, nullptr) : nullptr; scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr shdr;
        if (gelf_getshdr(scn, &shdr) && (shdr.sh_type == SHT_SYMTAB || shdr.sh_type == SHT_DYNSYM))
            collectFunction(elf, scn, name, addresses);
    }
    if (elf)
        elf_end(elf);
    ::close(fd);
    if (addresses.empty())
        return Status(ENOENT, "symbol '" + name + "' not found in '" + binary + "'");
    if (addresses.size() > 1)
        return Status(EINVAL, "symbol '" + name + "' has " + std::to_string(addresses.size()) +
                                  " different addresses in '" + binary + "'; give symbol+offset or an address");
    return *addresses.begin();
}

} // namespace jitprobe::detail
