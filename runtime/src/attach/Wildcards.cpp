#include "Wildcards.h"

#include "jitprobe/Kernel.h"

#include <fnmatch.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>

namespace jitprobe::detail {

bool isWildcard(const std::string &text) { return text.find_first_of("*?[") != std::string::npos; }

Status checkMatchCount(const std::string &kind, const std::string &pattern, std::size_t count,
                       std::size_t limit) {
    if (count == 0)
        return Status(ENOENT, kind + " pattern '" + pattern + "' matches nothing");
    if (count > limit)
        return Status(E2BIG, kind + " pattern '" + pattern + "' matches " +
                                 std::to_string(count) + " targets, more than the limit of " +
                                 std::to_string(limit) + "; narrow the pattern");
    return Status::OK();
}

Result<std::vector<std::string>> matchNames(const std::string &kind, const std::string &pattern,
                                            const std::vector<std::string> &names,
                                            std::size_t limit) {
    std::set<std::string> found;
    for (const std::string &name : names)
        if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0)
            found.insert(name);
    if (Status s = checkMatchCount(kind, pattern, found.size(), limit); !s.ok())
        return s;
    return std::vector<std::string>(found.begin(), found.end());
}

Result<std::vector<std::string>> expandTracepoints(const std::string &pattern, std::size_t limit) {
    auto all = list_tracepoints();
    if (!all.ok())
        return all.status();
    return matchNames("tracepoint", pattern, *all, limit);
}

Result<std::vector<std::string>> expandKernelFunctions(const std::string &pattern,
                                                       std::size_t limit) {
    auto all = list_kernel_functions();
    if (!all.ok())
        return all.status();
    return matchNames("kprobe", pattern, *all, limit);
}

Result<std::vector<std::string>> expandFunctionSymbols(const common::ElfFile &file,
                                                       const std::string &pattern,
                                                       std::size_t limit) {
    std::map<uint64_t, std::string> by_address; // aliases (versions, weak names) probe once
    file.forEachSymbol([&](const GElf_Sym &sym, const char *sym_name) {
        if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF || !sym.st_value)
            return;
        std::string name(sym_name, std::strcspn(sym_name, "@"));
        if (name.empty() || fnmatch(pattern.c_str(), name.c_str(), 0) != 0)
            return;
        auto [it, added] = by_address.emplace(sym.st_value, name);
        if (!added && name < it->second) // aliases: the same name whatever the table order
            it->second = name;
    });
    if (Status s = checkMatchCount("uprobe", file.what() + ":" + pattern, by_address.size(), limit);
        !s.ok())
        return s;
    std::set<std::string> names;
    for (const auto &[addr, name] : by_address)
        names.insert(name);
    return std::vector<std::string>(names.begin(), names.end());
}

} // namespace jitprobe::detail
