#include "ElfOffsets.h"

#include "Errors.h"

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

} // namespace

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

namespace jitprobe::detail {
namespace {

struct SymbolMatch {
    uint64_t vaddr;
    bool hidden_version; // a non-default version (".gnu.version" entry with bit 15 set)
};

template <typename T> bool readAt(std::ifstream &in, uint64_t offset, T &out) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    return static_cast<bool>(in.read(reinterpret_cast<char *>(&out), sizeof out));
}

std::vector<Elf64_Shdr> readSections(std::ifstream &in, const Elf64_Ehdr &eh) {
    std::vector<Elf64_Shdr> sections(eh.e_shnum);
    for (unsigned i = 0; i < eh.e_shnum; i++)
        if (!readAt(in, eh.e_shoff + uint64_t(i) * eh.e_shentsize, sections[i]))
            return {};
    return sections;
}

// Matching function symbols of one symbol table (with its versym section, if any).
void collectMatches(std::ifstream &in, const std::vector<Elf64_Shdr> &sections, unsigned index,
                    const std::string &symbol, std::vector<SymbolMatch> &out) {
    const Elf64_Shdr &table = sections[index];
    if (table.sh_link >= sections.size() || table.sh_entsize != sizeof(Elf64_Sym))
        return;
    const Elf64_Shdr &strtab = sections[table.sh_link];
    const Elf64_Shdr *versym = nullptr;
    for (const auto &s : sections)
        if (s.sh_type == SHT_GNU_versym && s.sh_link == index)
            versym = &s;
    std::string name(symbol.size() + 2, '\0');
    for (uint64_t i = 0; i < table.sh_size / sizeof(Elf64_Sym); i++) {
        Elf64_Sym sym{};
        if (!readAt(in, table.sh_offset + i * sizeof sym, sym))
            return;
        if (ELF64_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
            sym.st_name >= strtab.sh_size)
            continue;
        in.clear();
        in.seekg(static_cast<std::streamoff>(strtab.sh_offset + sym.st_name));
        in.read(name.data(), static_cast<std::streamsize>(name.size()));
        if (name.compare(0, symbol.size(), symbol) != 0 ||
            (name[symbol.size()] != '\0' && name[symbol.size()] != '@'))
            continue;
        Elf64_Half ver = 0;
        if (versym)
            readAt(in, versym->sh_offset + i * sizeof ver, ver);
        out.push_back({sym.st_value, (ver & 0x8000) != 0});
    }
}

} // namespace

Result<uint64_t> elfFunctionVaddr(const std::string &binary, const std::string &symbol) {
    std::ifstream in(binary, std::ios::binary);
    Elf64_Ehdr eh{};
    if (!in || !readAt(in, 0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64)
        return Status(ENOEXEC, "'" + binary + "' is not a readable 64-bit ELF file");
    auto sections = readSections(in, eh);
    std::vector<SymbolMatch> matches;
    for (unsigned i = 0; i < sections.size(); i++)
        if (sections[i].sh_type == SHT_SYMTAB || sections[i].sh_type == SHT_DYNSYM)
            collectMatches(in, sections, i, symbol, matches);
    if (matches.empty())
        return Status(ENOENT, "symbol '" + symbol + "' not found in '" + binary + "'");
    std::vector<uint64_t> all, preferred;
    for (const auto &m : matches) {
        if (std::find(all.begin(), all.end(), m.vaddr) == all.end())
            all.push_back(m.vaddr);
        if (!m.hidden_version && std::find(preferred.begin(), preferred.end(), m.vaddr) == preferred.end())
            preferred.push_back(m.vaddr);
    }
    if (all.size() == 1)
        return all[0];
    if (preferred.size() == 1)
        return preferred[0];
    return Status(EINVAL, "symbol '" + symbol + "' is ambiguous in '" + binary + "' (" +
                              std::to_string(all.size()) + " addresses); give an address");
}

} // namespace jitprobe::detail
