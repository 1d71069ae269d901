// Keep the user's field types where they are safe (C base types, pointers to struct/known types,
// typedefs every vmlinux.h has); otherwise map by size, as BCC does for syscall fields.
#include "tracepoint/TracepointCType.h"

#include <cctype>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace jitprobe::frontend {
namespace {

struct Scalar {
    unsigned size;
    bool is_signed;
};

const std::unordered_map<std::string, Scalar> &scalars() {
    static const std::unordered_map<std::string, Scalar> table = {
        {"char", {1, true}}, {"signed char", {1, true}}, {"unsigned char", {1, false}},
        {"_Bool", {1, false}}, {"bool", {1, false}},
        {"short", {2, true}}, {"short int", {2, true}}, {"signed short", {2, true}},
        {"unsigned short", {2, false}}, {"unsigned short int", {2, false}},
        {"short unsigned int", {2, false}},
        {"int", {4, true}}, {"signed", {4, true}}, {"signed int", {4, true}},
        {"unsigned", {4, false}}, {"unsigned int", {4, false}},
        {"long", {8, true}}, {"long int", {8, true}}, {"signed long", {8, true}},
        {"unsigned long", {8, false}}, {"unsigned long int", {8, false}},
        {"long unsigned int", {8, false}}, {"long long", {8, true}}, {"long long int", {8, true}},
        {"unsigned long long", {8, false}}, {"unsigned long long int", {8, false}},
        {"long long unsigned int", {8, false}},
        {"u8", {1, false}}, {"u16", {2, false}}, {"u32", {4, false}}, {"u64", {8, false}},
        {"s8", {1, true}}, {"s16", {2, true}}, {"s32", {4, true}}, {"s64", {8, true}},
        {"__u8", {1, false}}, {"__u16", {2, false}}, {"__u32", {4, false}}, {"__u64", {8, false}},
        {"__s8", {1, true}}, {"__s16", {2, true}}, {"__s32", {4, true}}, {"__s64", {8, true}},
        {"pid_t", {4, true}}, {"uid_t", {4, false}}, {"gid_t", {4, false}},
        {"size_t", {8, false}}, {"ssize_t", {8, true}}, {"loff_t", {8, true}},
        {"dev_t", {4, false}}, {"umode_t", {2, false}}, {"ino_t", {8, false}},
        {"sector_t", {8, false}}, {"gfp_t", {4, false}}, {"clockid_t", {4, true}},
        {"time64_t", {8, true}}, {"off_t", {8, true}},
    };
    return table;
}

bool isQualifier(const std::string &t) {
    return t == "const" || t == "volatile" || t == "restrict" || t == "__restrict";
}

bool isBaseWord(const std::string &t) {
    static const std::unordered_set<std::string> words = {
        "void", "char", "short", "int", "long", "unsigned", "signed", "_Bool", "float", "double"};
    return words.count(t) > 0;
}

// Identifiers and '*' of a type spelling; anything else makes it unusable (empty result).
std::vector<std::string> tokenize(const std::string &type) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < type.size();) {
        unsigned char c = type[i];
        if (std::isspace(c)) {
            ++i;
        } else if (c == '*') {
            out.emplace_back("*");
            ++i;
        } else if (std::isalpha(c) || c == '_') {
            std::size_t j = i;
            while (j < type.size() && (std::isalnum(static_cast<unsigned char>(type[j])) || type[j] == '_'))
                ++j;
            out.push_back(type.substr(i, j - i));
            i = j;
        } else {
            return {};
        }
    }
    return out;
}

// "unsigned int" for {"const", "unsigned", "int"}; stars excluded.
std::string canonical(const std::vector<std::string> &toks) {
    std::string s;
    for (const auto &t : toks) {
        if (t == "*" || isQualifier(t))
            continue;
        s += (s.empty() ? "" : " ") + t;
    }
    return s;
}

// Every word is a qualifier, base word, known typedef, or the tag after struct/union/enum.
bool allKnown(const std::vector<std::string> &toks) {
    for (std::size_t i = 0; i < toks.size(); ++i) {
        const auto &t = toks[i];
        if (t == "struct" || t == "union" || t == "enum") {
            if (i + 1 >= toks.size() || toks[i + 1] == "*")
                return false;
            ++i;
        } else if (t != "*" && !isQualifier(t) && !isBaseWord(t) && !scalars().count(t)) {
            return false;
        }
    }
    return !toks.empty();
}

CMember bySize(const std::string &name, unsigned size, bool is_signed) {
    if (size == 1 || size == 2 || size == 4 || size == 8)
        return {std::string(is_signed ? "s" : "u") + std::to_string(size * 8) + " " + name, size};
    return {"char " + name + "[" + std::to_string(size) + "]", 1};
}

// "[2][8]" -> 16; 0 for empty or symbolic dimensions.
unsigned elementCount(const std::string &dims) {
    unsigned count = 1;
    for (std::size_t i = 0; i < dims.size();) {
        std::size_t close = dims.find(']', i);
        if (dims[i] != '[' || close == std::string::npos || close == i + 1)
            return 0;
        unsigned n = 0;
        for (std::size_t k = i + 1; k < close; ++k) {
            if (!std::isdigit(static_cast<unsigned char>(dims[k])))
                return 0;
            n = n * 10 + unsigned(dims[k] - '0');
        }
        count *= n;
        i = close + 1;
    }
    return count;
}

} // namespace

CMember tracepointMember(const TracepointField &f) {
    // BCC names a __data_loc field `data_loc_NAME` (TP_DATA_LOC_READ_STR pastes that name);
    // both spellings reach the same 4 bytes.
    if (f.data_loc)
        return f.size == 4 ? CMember{"union { int " + f.name + "; int data_loc_" + f.name + "; }", 4}
                           : bySize(f.name, f.size, false);
    std::size_t bracket = f.type.find('[');
    std::string base = f.type.substr(0, bracket);
    while (!base.empty() && std::isspace(static_cast<unsigned char>(base.back())))
        base.pop_back();
    std::string dims = bracket == std::string::npos ? "" : f.type.substr(bracket);
    unsigned count = dims.empty() ? 1 : elementCount(dims);
    auto toks = tokenize(base);
    bool pointer = base.find('*') != std::string::npos;
    unsigned elem_size = 0, align = 1;
    bool is_signed = f.is_signed;
    if (pointer && allKnown(toks)) {
        elem_size = align = 8;
    } else if (auto it = scalars().find(canonical(toks)); !pointer && it != scalars().end()) {
        elem_size = align = it->second.size;
        is_signed = it->second.is_signed;
    }
    if (count && elem_size && elem_size * count == f.size)
        return {base + (base.back() == '*' ? "" : " ") + f.name + dims, align};
    if (!dims.empty())
        return {"char " + f.name + "[" + std::to_string(f.size) + "]", 1};
    if (pointer && f.size == 8)
        return {"void *" + f.name, 8};
    return bySize(f.name, f.size, is_signed);
}

} // namespace jitprobe::frontend
