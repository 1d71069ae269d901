#include "Wildcards.h"

#include "jitprobe/Kernel.h"

#include <fnmatch.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
// GCC 12's libstdc++ <regex> trips -Wmaybe-uninitialized in its own NFA code under
// -fsanitize=address (GCC bug 105562), a false positive in the header's templates.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#include <set>

namespace jitprobe::detail {

bool isWildcard(const std::string &text) { return text.find_first_of("*?[") != std::string::npos; }

Status checkMatchCount(const std::string &kind, const std::string &pattern, std::size_t count,
                       std::size_t limit) {
    if (count == 0)
        return Status(ENOENT, kind + " pattern " + pattern + " matches nothing");
    if (count > limit)
        return Status(E2BIG, kind + " pattern " + pattern + " matches " + std::to_string(count) +
                                 " targets, more than the limit of " + std::to_string(limit) +
                                 "; narrow the pattern");
    return Status::OK();
}

NameMatcher globMatcher(const std::string &glob) {
    return {"'" + glob + "'",
            [glob](const std::string &name) { return fnmatch(glob.c_str(), name.c_str(), 0) == 0; }};
}

Result<NameMatcher> regexMatcher(const std::string &re) {
    try {
        auto compiled = std::make_shared<const std::regex>(re, std::regex::ECMAScript);
        return NameMatcher{"regex '" + re + "'", [compiled](const std::string &name) {
                               return std::regex_search(name, *compiled,
                                                        std::regex_constants::match_continuous);
                           }};
    } catch (const std::regex_error &e) {
        return Status(EINVAL, "regex '" + re + "' does not compile: " + e.what());
    }
}

Result<std::vector<std::string>> matchNames(const std::string &kind, const NameMatcher &matcher,
                                            const std::vector<std::string> &names,
                                            std::size_t limit) {
    std::set<std::string> found;
    for (const std::string &name : names)
        if (matcher.matches(name))
            found.insert(name);
    if (Status s = checkMatchCount(kind, matcher.text, found.size(), limit); !s.ok())
        return s;
    return std::vector<std::string>(found.begin(), found.end());
}

Result<std::vector<std::string>> matchNames(const std::string &kind, const std::string &pattern,
                                            const std::vector<std::string> &names,
                                            std::size_t limit) {
    return matchNames(kind, globMatcher(pattern), names, limit);
}

Result<std::vector<std::string>> expandTracepoints(const NameMatcher &matcher, std::size_t limit) {
    auto all = list_tracepoints();
    if (!all.ok())
        return all.status();
    return matchNames("tracepoint", matcher, *all, limit);
}

Result<std::vector<std::string>> expandKernelFunctions(const NameMatcher &matcher,
                                                       std::size_t limit) {
    auto all = list_kernel_functions();
    if (!all.ok())
        return all.status();
    return matchNames("kprobe", matcher, *all, limit);
}

Result<std::vector<std::string>> expandTracepoints(const std::string &pattern, std::size_t limit) {
    return expandTracepoints(globMatcher(pattern), limit);
}

Result<std::vector<std::string>> expandKernelFunctions(const std::string &pattern,
                                                       std::size_t limit) {
    return expandKernelFunctions(globMatcher(pattern), limit);
}

Result<std::vector<FunctionTarget>>
expandFunctionTargets(const common::ElfFile &file, const NameMatcher &matcher, std::size_t limit) {
    std::map<uint64_t, std::string> by_address; // aliases (versions, weak names) probe once
    file.forEachSymbol([&](const GElf_Sym &sym, const char *sym_name) {
        if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF || !sym.st_value)
            return;
        std::string name(sym_name, std::strcspn(sym_name, "@"));
        if (name.empty() || !matcher.matches(name))
            return;
        auto [it, added] = by_address.emplace(sym.st_value, name);
        if (!added && name < it->second) // aliases: the same name whatever the table order
            it->second = name;
    });
    if (Status s = checkMatchCount("uprobe", matcher.text + " in '" + file.what() + "'",
                                   by_address.size(), limit);
        !s.ok())
        return s;
    std::vector<FunctionTarget> out;
    for (const auto &[addr, name] : by_address)
        out.push_back({name, addr});
    std::sort(out.begin(), out.end(), [](const FunctionTarget &a, const FunctionTarget &b) {
        return a.name != b.name ? a.name < b.name : a.address < b.address;
    });
    return out;
}

Result<std::vector<std::string>> expandFunctionSymbols(const common::ElfFile &file,
                                                       const std::string &pattern,
                                                       std::size_t limit) {
    auto targets = expandFunctionTargets(file, globMatcher(pattern), limit);
    if (!targets.ok())
        return targets.status();
    std::set<std::string> names; // a local name at several addresses: attached by name once
    for (const FunctionTarget &t : *targets)
        names.insert(t.name);
    return std::vector<std::string>(names.begin(), names.end());
}

} // namespace jitprobe::detail
