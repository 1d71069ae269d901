#include "jitprobe/common/UprobeSpec.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

namespace jitprobe::common {
namespace {

bool parseNumber(const std::string &text, uint64_t &out) {
    bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    std::string digits = hex ? text.substr(2) : text;
    if (digits.empty() || digits.size() > (hex ? 16u : 19u))
        return false;
    for (char c : digits)
        if (!(hex ? std::isxdigit(static_cast<unsigned char>(c)) : std::isdigit(static_cast<unsigned char>(c))))
            return false;
    out = std::stoull(digits, nullptr, hex ? 16 : 10);
    return true;
}

// Go names have '/' ("net/http.(*T).M") and C++ names ':' ("ns::f"), and a path may have ':' in
// a directory name: the first ':' whose prefix is an existing file, else the first ':'.
std::size_t separatorColon(const std::string &target) {
    std::size_t first = target.find(':');
    if (!target.starts_with("/"))
        return first;
    for (std::size_t c = first; c != std::string::npos; c = target.find(':', c + 1)) {
        struct stat st{};
        if (::stat(target.substr(0, c).c_str(), &st) == 0 && S_ISREG(st.st_mode))
            return c;
    }
    return first;
}

} // namespace

std::string parseUprobeSpec(const std::string &target, UprobeSpec &out) {
    std::size_t colon = separatorColon(target);
    if (colon == std::string::npos || colon == 0 || colon + 1 == target.size())
        return "expected BINARY:SYMBOL[+OFFSET] or BINARY:0xADDRESS";
    out = UprobeSpec{target.substr(0, colon), target.substr(colon + 1), 0, 0};
    for (char c : out.symbol)
        if (std::iscntrl(static_cast<unsigned char>(c))) // spaces are fine: "f(int) const"
            return "symbol '" + out.symbol + "' contains a control character";
    if (out.symbol.starts_with("0x") || out.symbol.starts_with("0X")) {
        if (!parseNumber(out.symbol, out.address) || out.address == 0)
            return "'" + out.symbol + "' is not an address";
        out.symbol.clear();
        return "";
    }
    // "+OFFSET" when a word follows the last '+' (it must be a number); C++ names end in
    // "operator+", "operator++", "operator+=".
    std::size_t plus = out.symbol.rfind('+');
    std::string after = plus == std::string::npos ? "" : out.symbol.substr(plus + 1);
    if (plus != std::string::npos && plus > 0 && !after.empty() &&
        std::all_of(after.begin(), after.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
        })) {
        if (!parseNumber(out.symbol.substr(plus + 1), out.offset))
            return "offset '" + out.symbol.substr(plus + 1) + "' is not a number";
        out.symbol.resize(plus);
    }
    return "";
}

} // namespace jitprobe::common
