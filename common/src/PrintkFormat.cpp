// Parsing and formatting of private bpf_trace_printk records (see PrintkFormat.h).
#include "jitprobe/common/PrintkFormat.h"

#include <cctype>
#include <cstdio>
#include <cstring>

namespace jitprobe::common {
namespace {

bool isFlag(char c) { return c == '-' || c == '+' || c == ' ' || c == '#' || c == '0'; }

// Reads "%<flags><width>.<precision><length><conv>" at fmt[at] ('%'); false with an error.
bool parseOne(std::string_view fmt, std::size_t at, PrintkConversion &c, std::string &error,
              bool &kernel_rejects) {
    std::size_t i = at + 1;
    while (i < fmt.size() && (isFlag(fmt[i]) || std::isdigit(static_cast<unsigned char>(fmt[i])) ||
                              fmt[i] == '.'))
        ++i;
    c.flags = std::string(fmt.substr(at + 1, i - at - 1));
    if (i < fmt.size() && fmt[i] == '*') {
        error = "'*' width or precision is not supported in bpf_trace_printk formats";
        return false;
    }
    while (i < fmt.size() && (fmt[i] == 'l' || fmt[i] == 'h' || fmt[i] == 'z')) {
        c.length = fmt[i] == 'h' ? c.length - 1 : 1;
        ++i;
    }
    if (i >= fmt.size()) {
        error = "incomplete conversion at the end of the format";
        return false;
    }
    c.conv = fmt[i] == 'i' ? 'd' : fmt[i];
    switch (c.conv) {
    case 'd': c.kind = PrintkArg::Signed; break;
    case 'u': case 'x': case 'X': case 'o': c.kind = PrintkArg::Unsigned; break;
    case 'c': c.kind = PrintkArg::Char; break;
    case 's': c.kind = PrintkArg::String; break;
    case 'p': {
        c.kind = PrintkArg::Pointer;
        char next = i + 1 < fmt.size() ? fmt[i + 1] : 0;
        if ((next == 'k' || next == 'u') && i + 2 < fmt.size() && fmt[i + 2] == 's') {
            c.kind = PrintkArg::String; // %pks / %pus: kernel / user string
            i += 2;
        } else if (next == 'x' || next == 'K') {
            ++i;
        } else if (std::isalnum(static_cast<unsigned char>(next))) {
            error = std::string("'%p") + next + "' is not supported (supported: %p %px %pK %pks %pus)";
            return false;
        }
        break;
    }
    default:
        error = std::string("conversion '%") + fmt[i] + "' is not supported (supported: %d %i %u "
                "%x %X %o %c %s %p with l/ll/h length, and %%)";
        kernel_rejects = true; // bpf_bprintf_prepare knows no other conversion letter either
        return false;
    }
    c.begin = at;
    c.end = i + 1;
    return true;
}

} // namespace

PrintkFormat parsePrintkFormat(std::string_view fmt) {
    PrintkFormat out;
    for (std::size_t i = 0; i < fmt.size(); ++i) {
        if (fmt[i] != '%')
            continue;
        if (i + 1 < fmt.size() && fmt[i + 1] == '%') {
            ++i;
            continue;
        }
        PrintkConversion c;
        if (!parseOne(fmt, i, c, out.error, out.kernel_rejects)) {
            out.error_at = i;
            return out;
        }
        c.offset = out.record_size;
        out.record_size += c.kind == PrintkArg::String ? kPrintkStringSize : 8;
        i = c.end - 1;
        out.conversions.push_back(std::move(c));
    }
    if (out.conversions.size() > kPrintkMaxArgs)
        out.error = "more than " + std::to_string(kPrintkMaxArgs) + " conversions in one format";
    return out;
}

namespace {
std::string formatValue(const PrintkConversion &c, const std::uint8_t *slot) {
    char buf[128];
    if (c.kind == PrintkArg::String) {
        std::size_t len = strnlen(reinterpret_cast<const char *>(slot), kPrintkStringSize);
        std::string text(reinterpret_cast<const char *>(slot), len);
        std::string spec = "%" + c.flags + "s";
        std::snprintf(buf, sizeof buf, spec.c_str(), text.c_str());
        return buf;
    }
    std::uint64_t raw;
    std::memcpy(&raw, slot, sizeof raw);
    if (c.kind == PrintkArg::Pointer) {
        std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(raw));
        return buf;
    }
    // Narrow to the argument's C type first, as the kernel's vsnprintf does.
    if (c.length == 0)
        raw = c.kind == PrintkArg::Signed ? static_cast<std::uint64_t>(static_cast<std::int32_t>(raw))
                                          : static_cast<std::uint32_t>(raw);
    else if (c.length == -1)
        raw = c.kind == PrintkArg::Signed ? static_cast<std::uint64_t>(static_cast<std::int16_t>(raw))
                                          : static_cast<std::uint16_t>(raw);
    else if (c.length < -1)
        raw = c.kind == PrintkArg::Signed ? static_cast<std::uint64_t>(static_cast<std::int8_t>(raw))
                                          : static_cast<std::uint8_t>(raw);
    std::string spec = "%" + c.flags + (c.kind == PrintkArg::Char ? "c" : std::string("ll") + c.conv);
    if (c.kind == PrintkArg::Char)
        std::snprintf(buf, sizeof buf, spec.c_str(), static_cast<int>(static_cast<unsigned char>(raw)));
    else
        std::snprintf(buf, sizeof buf, spec.c_str(), static_cast<long long>(raw));
    return buf;
}
} // namespace

bool formatPrintk(std::string_view fmt, const PrintkFormat &format, const std::uint8_t *record,
                  std::size_t size, std::string &out) {
    if (size < format.record_size || !format.error.empty())
        return false;
    out.clear();
    std::size_t pos = 0;
    auto literal = [&](std::size_t end) {
        for (; pos < end; ++pos) {
            out += fmt[pos];
            if (fmt[pos] == '%' && pos + 1 < end && fmt[pos + 1] == '%')
                ++pos;
        }
    };
    for (const PrintkConversion &c : format.conversions) {
        literal(c.begin);
        out += formatValue(c, record + c.offset);
        pos = c.end;
    }
    literal(fmt.size());
    if (!out.empty() && out.back() == '\n')
        out.pop_back();
    return true;
}

} // namespace jitprobe::common
