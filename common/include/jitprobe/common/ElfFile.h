// An ELF file read through libelf: opened once, used through its descriptor (never re-resolved
// by path), or over bytes in memory. Section and symbol walks for the runtime's uprobe symbol
// lookup and the frontend's object inspection.
#pragma once
#include "jitprobe/Status.h"
#include "jitprobe/common/UniqueFd.h"

#include <gelf.h>
#include <libelf.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace jitprobe::common {

class ElfFile {
  public:
    // Opens PATH (O_RDONLY | O_CLOEXEC) and parses it; errors name the path.
    [[nodiscard]] static Result<ElfFile> open(const std::string &path);
    // Parses an already-open FD (kept open and owned by the ElfFile).
    [[nodiscard]] static Result<ElfFile> fromFd(UniqueFd fd, const std::string &what);
    // Parses BYTES, which must outlive the ElfFile.
    [[nodiscard]] static Result<ElfFile> fromMemory(std::string_view bytes, const std::string &what);

    [[nodiscard]] Elf *elf() const { return elf_.get(); }
    [[nodiscard]] int fd() const { return fd_.get(); } // -1 for an in-memory file
    [[nodiscard]] const std::string &what() const { return what_; }

    // Calls FN(section, header, name) for each section; FN returns false to stop.
    void forEachSection(
        const std::function<bool(Elf_Scn *, const GElf_Shdr &, std::string_view)> &fn) const;
    // Calls FN(symbol, name) for every symbol of every SYMTAB and DYNSYM section.
    void forEachSymbol(const std::function<void(const GElf_Sym &, const char *)> &fn) const;
    // File offset of VADDR in an executable PT_LOAD segment; EINVAL when none holds it.
    [[nodiscard]] Result<uint64_t> vaddrToFileOffset(uint64_t vaddr) const;

  private:
    struct ElfDeleter {
        void operator()(Elf *e) const { elf_end(e); }
    };
    UniqueFd fd_;
    std::unique_ptr<Elf, ElfDeleter> elf_;
    std::string what_;
};

} // namespace jitprobe::common
