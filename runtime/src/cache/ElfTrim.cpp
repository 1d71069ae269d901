// stripDebugSections: rewrite an ELF64 relocatable object without its .debug_* sections.
// Symbols keep their indices (relocations and .llvm_addrsig refer to them); symbols defined in
// a dropped section become undefined locals, which libbpf ignores.
#include "ElfTrim.h"

#include <cerrno>

#include <elf.h>

#include <cstring>

namespace jitprobe::detail {
namespace {

bool startsWith(const char *s, const char *prefix) {
    return std::strncmp(s, prefix, std::strlen(prefix)) == 0;
}

struct Layout {
    Elf64_Ehdr eh{};
    std::vector<Elf64_Shdr> sh;
    std::vector<bool> drop;
    std::vector<Elf64_Half> index; // old -> new section index
};

Status readLayout(const std::vector<std::uint8_t> &in, Layout &l) {
    if (in.size() < sizeof(Elf64_Ehdr) || std::memcmp(in.data(), ELFMAG, SELFMAG) != 0)
        return Status(ENOEXEC, "not an ELF file");
    std::memcpy(&l.eh, in.data(), sizeof l.eh);
    if (l.eh.e_ident[EI_CLASS] != ELFCLASS64 || l.eh.e_ident[EI_DATA] != ELFDATA2LSB ||
        l.eh.e_shentsize != sizeof(Elf64_Shdr) || l.eh.e_shnum == 0 ||
        l.eh.e_shstrndx >= l.eh.e_shnum || l.eh.e_shoff > in.size() ||
        (in.size() - l.eh.e_shoff) / sizeof(Elf64_Shdr) < l.eh.e_shnum)
        return Status(ENOEXEC, "unsupported ELF layout (want ELF64 little-endian with section headers)");
    l.sh.resize(l.eh.e_shnum);
    std::memcpy(l.sh.data(), in.data() + l.eh.e_shoff, l.sh.size() * sizeof(Elf64_Shdr));
    for (const Elf64_Shdr &s : l.sh)
        if (s.sh_type != SHT_NOBITS && (s.sh_offset > in.size() || s.sh_size > in.size() - s.sh_offset))
            return Status(ENOEXEC, "a section lies outside the file");
    return Status::OK();
}

Status chooseSections(const std::vector<std::uint8_t> &in, Layout &l) {
    const Elf64_Shdr &strtab = l.sh[l.eh.e_shstrndx];
    const char *names = reinterpret_cast<const char *>(in.data() + strtab.sh_offset);
    l.drop.assign(l.sh.size(), false);
    for (std::size_t i = 1; i < l.sh.size(); i++) {
        if (l.sh[i].sh_name >= strtab.sh_size ||
            !std::memchr(names + l.sh[i].sh_name, '\0', strtab.sh_size - l.sh[i].sh_name))
            return Status(ENOEXEC, "a section name lies outside .shstrtab");
        l.drop[i] = startsWith(names + l.sh[i].sh_name, ".debug_");
    }
    for (std::size_t i = 1; i < l.sh.size(); i++) // relocations of dropped sections go too
        if ((l.sh[i].sh_type == SHT_REL || l.sh[i].sh_type == SHT_RELA) &&
            l.sh[i].sh_info < l.sh.size() && l.drop[l.sh[i].sh_info])
            l.drop[i] = true;
    l.index.assign(l.sh.size(), SHN_UNDEF);
    Elf64_Half next = 0;
    for (std::size_t i = 0; i < l.sh.size(); i++)
        if (!l.drop[i])
            l.index[i] = next++;
    return l.drop[l.eh.e_shstrndx] ? Status(ENOEXEC, "dropping .shstrtab") : Status::OK();
}

Elf64_Word remap(const Layout &l, Elf64_Word old) {
    return old < l.index.size() && !l.drop[old] ? l.index[old] : 0;
}

// Symbols of dropped sections become undefined; the rest point at their section's new index.
Status fixSymbols(const Layout &l, const Elf64_Shdr &symtab, std::uint8_t *data) {
    if (symtab.sh_entsize != sizeof(Elf64_Sym))
        return Status(ENOEXEC, "unexpected symbol table entry size");
    for (std::size_t off = 0; off + sizeof(Elf64_Sym) <= symtab.sh_size; off += sizeof(Elf64_Sym)) {
        Elf64_Sym sym;
        std::memcpy(&sym, data + off, sizeof sym);
        if (sym.st_shndx == SHN_XINDEX)
            return Status(ENOEXEC, "extended section indices are not supported");
        if (sym.st_shndx != SHN_UNDEF && sym.st_shndx < SHN_LORESERVE)
            sym.st_shndx = static_cast<Elf64_Half>(remap(l, sym.st_shndx));
        std::memcpy(data + off, &sym, sizeof sym);
    }
    return Status::OK();
}

} // namespace

Result<std::vector<std::uint8_t>> stripDebugSections(const std::vector<std::uint8_t> &in) {
    Layout l;
    if (Status s = readLayout(in, l); !s.ok())
        return s;
    if (Status s = chooseSections(in, l); !s.ok())
        return s;
    std::vector<std::uint8_t> out;
    out.assign(in.begin(), in.begin() + sizeof(Elf64_Ehdr));
    std::vector<Elf64_Shdr> headers;
    for (std::size_t i = 0; i < l.sh.size(); i++) {
        if (l.drop[i])
            continue;
        Elf64_Shdr s = l.sh[i];
        std::size_t align = s.sh_addralign > 1 ? s.sh_addralign : 1;
        if (i != 0 && s.sh_type != SHT_NOBITS) {
            out.resize((out.size() + align - 1) / align * align, 0);
            s.sh_offset = out.size();
            out.insert(out.end(), in.begin() + l.sh[i].sh_offset,
                       in.begin() + l.sh[i].sh_offset + s.sh_size);
            if (s.sh_type == SHT_SYMTAB)
                if (Status fixed = fixSymbols(l, s, out.data() + s.sh_offset); !fixed.ok())
                    return fixed;
        }
        if (s.sh_link)
            s.sh_link = remap(l, s.sh_link);
        if ((s.sh_type == SHT_REL || s.sh_type == SHT_RELA) && s.sh_info)
            s.sh_info = remap(l, s.sh_info);
        headers.push_back(s);
    }
    out.resize((out.size() + 7) / 8 * 8, 0);
    Elf64_Ehdr eh = l.eh;
    eh.e_shoff = out.size();
    eh.e_shnum = static_cast<Elf64_Half>(headers.size());
    eh.e_shstrndx = l.index[l.eh.e_shstrndx];
    const auto *raw = reinterpret_cast<const std::uint8_t *>(headers.data());
    out.insert(out.end(), raw, raw + headers.size() * sizeof(Elf64_Shdr));
    std::memcpy(out.data(), &eh, sizeof eh);
    return out;
}

} // namespace jitprobe::detail
