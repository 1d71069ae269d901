// Symbol and address lookups in user binaries for uprobes, through common::ElfFile (libelf).
#include "ElfOffsets.h"

#include "jitprobe/common/CloseMatches.h"
#include "jitprobe/common/ElfFile.h"
#include "jitprobe/common/Errors.h"
#include "jitprobe/common/PathTrust.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

namespace jitprobe::detail {

Result<uint64_t> elfVaddrToFileOffset(const std::string &binary, uint64_t vaddr) {
    auto file = common::ElfFile::open(binary);
    if (!file.ok())
        return file.status();
    return file->vaddrToFileOffset(vaddr);
}

Result<uint64_t> elfVaddrToFileOffset(const common::ElfFile &file, uint64_t vaddr) {
    return file.vaddrToFileOffset(vaddr);
}

Result<common::ElfFile> openUprobeBinary(const std::string &binary) {
    if (::geteuid() != 0)
        return common::ElfFile::open(binary);
    char resolved[PATH_MAX];
    if (!::realpath(binary.c_str(), resolved))
        return errnoStatus(errno, "binary '" + binary + "': cannot resolve");
    common::TrustRule rule;
    rule.also_owner = ::getuid();
    rule.final_flags = O_RDONLY;
    auto fd = common::openTrustedPath(resolved, rule);
    if (!fd.ok())
        return Status(fd.status().code(),
                      "refusing to attach to binary '" + binary + "' as root: " +
                          fd.status().msg() +
                          " (another user could replace it between lookup and attach; as root, "
                          "the binary and every directory above it must be owned by root and not "
                          "writable by group or others)");
    return common::ElfFile::fromFd(std::move(*fd), binary);
}

namespace {

bool isDefinedFunction(const GElf_Sym &sym) {
    return GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_shndx != SHN_UNDEF;
}

} // namespace

std::string closeFunctionNames(const std::string &binary, const std::string &name) {
    auto file = common::ElfFile::open(binary);
    return file.ok() ? closeFunctionNames(*file, name) : "";
}

std::string closeFunctionNames(const common::ElfFile &file, const std::string &name) {
    std::set<std::string> names; // without @VERSION
    file.forEachSymbol([&](const GElf_Sym &sym, const char *sym_name) {
        if (isDefinedFunction(sym) && *sym_name)
            names.insert(std::string(sym_name, std::strcspn(sym_name, "@")));
    });
    auto close = common::closeMatches(name, {names.begin(), names.end()});
    std::string text;
    for (const auto &c : close)
        text += (text.empty() ? "" : ", ") + ("'" + c + "'");
    return text.empty() ? "" : "; did you mean " + text + "?";
}

Result<uint64_t> elfFunctionAddress(const std::string &binary, const std::string &name) {
    auto file = common::ElfFile::open(binary);
    return file.ok() ? elfFunctionAddress(*file, name) : Result<uint64_t>(file.status());
}

Result<uint64_t> elfFunctionAddress(const common::ElfFile &file, const std::string &name) {
    const std::string &binary = file.what();
    // Distinct addresses of defined functions called NAME or NAME@VERSION.
    std::set<uint64_t> addresses;
    file.forEachSymbol([&](const GElf_Sym &sym, const char *sym_name) {
        if (!isDefinedFunction(sym) || sym.st_value == 0 ||
            std::strncmp(sym_name, name.c_str(), name.size()) != 0)
            return;
        char next = sym_name[name.size()];
        if (next == '\0' || next == '@')
            addresses.insert(sym.st_value);
    });
    if (addresses.empty())
        return Status(ENOENT, "symbol '" + name + "' not found in '" + binary + "'");
    if (addresses.size() > 1)
        return Status(EINVAL, "symbol '" + name + "' has " + std::to_string(addresses.size()) +
                                  " different addresses in '" + binary + "'; give symbol+offset or an address");
    return *addresses.begin();
}

} // namespace jitprobe::detail
