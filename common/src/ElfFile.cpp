// libelf does the parsing (bounds, byte order, 32/64-bit classes): no hand-written Elf64 reads.
#include "jitprobe/common/ElfFile.h"

#include "jitprobe/common/Errors.h"

#include <fcntl.h>

#include <cerrno>
#include <sstream>

namespace jitprobe::common {

Result<ElfFile> ElfFile::open(const std::string &path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd)
        return detail::errnoStatus(errno, "cannot open '" + path + "'");
    return fromFd(std::move(fd), "'" + path + "'");
}

Result<ElfFile> ElfFile::fromFd(UniqueFd fd, const std::string &what) {
    elf_version(EV_CURRENT);
    ElfFile file;
    file.elf_.reset(elf_begin(fd.get(), ELF_C_READ, nullptr));
    if (!file.elf_ || elf_kind(file.elf_.get()) != ELF_K_ELF)
        return Status(ENOEXEC, what + " is not an ELF file");
    file.fd_ = std::move(fd);
    file.what_ = what;
    return file;
}

Result<ElfFile> ElfFile::fromMemory(std::string_view bytes, const std::string &what) {
    elf_version(EV_CURRENT);
    ElfFile file;
    // libelf takes a non-const pointer but does not write in ELF_C_READ mode.
    file.elf_.reset(elf_memory(const_cast<char *>(bytes.data()), bytes.size()));
    if (!file.elf_ || elf_kind(file.elf_.get()) != ELF_K_ELF)
        return Status(ENOEXEC, what + " is not an ELF file");
    file.what_ = what;
    return file;
}

void ElfFile::forEachSection(
    const std::function<bool(Elf_Scn *, const GElf_Shdr &, std::string_view)> &fn) const {
    size_t names = 0;
    if (elf_getshdrstrndx(elf_.get(), &names) != 0)
        return;
    for (Elf_Scn *scn = elf_nextscn(elf_.get(), nullptr); scn; scn = elf_nextscn(elf_.get(), scn)) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr))
            continue;
        const char *name = elf_strptr(elf_.get(), names, shdr.sh_name);
        if (!fn(scn, shdr, name ? name : ""))
            return;
    }
}

void ElfFile::forEachSymbol(const std::function<void(const GElf_Sym &, const char *)> &fn) const {
    forEachSection([&](Elf_Scn *scn, const GElf_Shdr &shdr, std::string_view) {
        Elf_Data *data = elf_getdata(scn, nullptr);
        if ((shdr.sh_type != SHT_SYMTAB && shdr.sh_type != SHT_DYNSYM) || !data ||
            shdr.sh_entsize == 0)
            return true;
        for (size_t i = 0; i < shdr.sh_size / shdr.sh_entsize; i++) {
            GElf_Sym sym;
            if (!gelf_getsym(data, static_cast<int>(i), &sym))
                continue;
            const char *name = elf_strptr(elf_.get(), shdr.sh_link, sym.st_name);
            fn(sym, name ? name : "");
        }
        return true;
    });
}

Result<uint64_t> ElfFile::vaddrToFileOffset(uint64_t vaddr) const {
    size_t count = 0;
    if (elf_getphdrnum(elf_.get(), &count) != 0)
        return Status(ENOEXEC, what_ + " has no program headers");
    for (size_t i = 0; i < count; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf_.get(), static_cast<int>(i), &ph) && ph.p_type == PT_LOAD &&
            (ph.p_flags & PF_X) && vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz)
            return vaddr - ph.p_vaddr + ph.p_offset;
    }
    std::ostringstream hex;
    hex << std::hex << vaddr;
    return Status(EINVAL, "address 0x" + hex.str() + " is in no executable segment of " + what_);
}

} // namespace jitprobe::common
