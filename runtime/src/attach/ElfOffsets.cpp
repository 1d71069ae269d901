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
#include <cxxabi.h>

#include <map>
#include <memory>
#include <set>
#include <string_view>
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

namespace {

// Distinct addresses of defined functions whose name MATCHES, with one name for each.
template <typename Match>
std::map<uint64_t, std::string> functionsWhere(const common::ElfFile &file, Match matches) {
    std::map<uint64_t, std::string> found;
    file.forEachSymbol([&](const GElf_Sym &sym, const char *sym_name) {
        if (isDefinedFunction(sym) && sym.st_value != 0 && matches(sym_name))
            found.emplace(sym.st_value, sym_name);
    });
    return found;
}

// NAME or NAME@VERSION (the versioned spellings in .symtab).
bool plainOrVersioned(const char *sym_name, const std::string &name) {
    if (std::strncmp(sym_name, name.c_str(), name.size()) != 0)
        return false;
    char next = sym_name[name.size()];
    return next == '\0' || next == '@';
}

// A C++ symbol named as it demangles: the whole signature ("ns::f(int)") or the name before
// its parameter list ("ns::f"); a Rust one (legacy mangling) without its hash ("demo::work").
bool demangledIs(const char *sym_name, const std::string &name) {
    if (sym_name[0] != '_' || sym_name[1] != 'Z')
        return false;
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> d(
        abi::__cxa_demangle(sym_name, nullptr, nullptr, &status), &std::free);
    if (status != 0 || !d)
        return false;
    std::string_view text(d.get());
    if (text == name)
        return true;
    if (!text.starts_with(name) || text.size() <= name.size())
        return false;
    std::string_view rest = text.substr(name.size());
    // Rust's legacy mangling is C++'s with a hash last: "demo::work::h0123456789abcdef".
    bool rust_hash = rest.size() == 19 && rest.starts_with("::h") &&
                     rest.find_first_not_of("0123456789abcdef", 3) == std::string_view::npos;
    return rest[0] == '(' || rust_hash;
}

std::map<uint64_t, std::string> resolveFunction(const common::ElfFile &file,
                                                const std::string &name) {
    auto found = functionsWhere(file, [&](const char *s) { return plainOrVersioned(s, name); });
    // "malloc@@GLIBC_2.2.5": .dynsym keeps versions apart from names; the base name decides.
    if (found.empty() && name.find('@') != std::string::npos) {
        std::string base = name.substr(0, name.find('@'));
        found = functionsWhere(file, [&](const char *s) { return plainOrVersioned(s, base); });
    }
    if (found.empty() && name.find_first_of(":(<") != std::string::npos)
        found = functionsWhere(file, [&](const char *s) { return demangledIs(s, name); });
    return found;
}

} // namespace

Result<uint64_t> elfFunctionAddress(const common::ElfFile &file, const std::string &name) {
    const std::string &binary = file.what();
    auto found = resolveFunction(file, name);
    if (found.empty())
        return Status(ENOENT, "symbol '" + name + "' not found in '" + binary + "'");
    if (found.size() > 1) {
        std::string names;
        for (const auto &[addr, sym] : found)
            names += (names.empty() ? "" : ", ") + sym;
        return Status(EINVAL, "symbol '" + name + "' has " + std::to_string(found.size()) +
                                  " different addresses in '" + binary + "' (" + names +
                                  "); give the mangled name, symbol+offset or an address");
    }
    return found.begin()->first;
}

} // namespace jitprobe::detail
