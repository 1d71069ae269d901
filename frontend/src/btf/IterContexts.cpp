#include "btf/IterContexts.h"

#include <cctype>
#include <regex>

namespace jitprobe::frontend {

namespace {
// The index just past the `;` that ends the definition whose `{` is at OPEN, or npos.
size_t definitionEnd(const std::string &s, size_t open) {
    int depth = 0;
    for (size_t i = open; i < s.size(); i++) {
        if (s[i] == '{')
            depth++;
        else if (s[i] == '}' && --depth == 0) {
            size_t j = i + 1;
            while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j])))
                j++;
            return j < s.size() && s[j] == ';' ? j + 1 : std::string::npos;
        }
    }
    return std::string::npos;
}
} // namespace

std::string blankIterContextDefinitions(const std::string &source) {
    if (source.find("bpf_iter__") == std::string::npos)
        return source;
    static const std::regex definition(R"(\bstruct\s+bpf_iter__\w+\s*\{)");
    std::string out = source;
    size_t from = 0;
    std::smatch m;
    while (from < out.size() &&
           std::regex_search(out.cbegin() + long(from), out.cend(), m, definition)) {
        size_t start = from + size_t(m.position(0));
        size_t end = definitionEnd(out, start + size_t(m.length(0)) - 1);
        if (end == std::string::npos)
            break;
        for (size_t i = start; i < end; i++)
            if (out[i] != '\n')
                out[i] = ' ';
        from = end;
    }
    return out;
}

} // namespace jitprobe::frontend
