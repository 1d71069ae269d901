#include "JsonText.h"

#include <nlohmann/json.hpp>

#include <charconv>

namespace jitprobe::detail {
namespace {

// Length of the valid UTF-8 sequence at TEXT[i], or 0 if it is not one.
size_t utf8Length(std::string_view text, size_t i) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char c = byte(i);
    size_t n = c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    if (n == 0 || i + n > text.size())
        return 0;
    for (size_t k = 1; k < n; k++)
        if ((byte(i + k) & 0xC0) != 0x80)
            return 0;
    // Overlong forms, surrogates and code points past U+10FFFF.
    unsigned char c1 = byte(i + 1);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
        (c == 0xF4 && c1 > 0x8F))
        return 0;
    return n;
}

// The escape of a byte below 0x20, '"' or '\\' (nlohmann's choice of forms).
void appendEscape(std::string &out, unsigned char c) {
    static const char hex[] = "0123456789abcdef";
    switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default:
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf]};
        out.append(u, sizeof u);
    }
}

template <typename Number> void appendNumber(std::string &out, Number n) {
    char buffer[24];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, n);
    out.append(buffer, end);
}

} // namespace

void appendJsonString(std::string &out, std::string_view text) {
    const size_t start = out.size();
    out.reserve(start + text.size() + 2);
    out += '"';
    size_t run = 0; // bytes [run, i) are copied as they are
    for (size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            size_t n = utf8Length(text, i);
            if (n == 0) {
                // Kernel strings may hold any bytes: nlohmann's replacement rules, kept exactly.
                out.resize(start);
                out += nlohmann::json(std::string(text)).dump(
                    -1, ' ', false, nlohmann::json::error_handler_t::replace);
                return;
            }
            i += n;
        } else if (c < 0x20 || c == '"' || c == '\\') {
            out.append(text.data() + run, i - run);
            appendEscape(out, c);
            run = ++i;
        } else {
            ++i;
        }
    }
    out.append(text.data() + run, text.size() - run);
    out += '"';
}

void appendJsonValue(std::string &out, const Value &v) {
    switch (v.kind()) {
    case Value::Kind::Null: out += "null"; return;
    case Value::Kind::Int: appendNumber(out, v.as_int()); return;
    case Value::Kind::UInt: appendNumber(out, v.as_uint()); return;
    case Value::Kind::Bool: out += v.as_bool() ? "true" : "false"; return;
    case Value::Kind::Double: out += nlohmann::json(v.as_double()).dump(); return;
    case Value::Kind::String: appendJsonString(out, v.as_string()); return;
    case Value::Kind::Bytes: {
        static const char digits[] = "0123456789abcdef";
        out += '"';
        for (std::uint8_t b : v.as_bytes().data) {
            out += digits[b >> 4];
            out += digits[b & 0xf];
        }
        out += '"';
        return;
    }
    case Value::Kind::List: {
        out += '[';
        const char *sep = "";
        for (const Value &item : v.as_list()) {
            out += sep;
            appendJsonValue(out, item);
            sep = ",";
        }
        out += ']';
        return;
    }
    case Value::Kind::Struct: {
        out += '{';
        const char *sep = "";
        for (const auto &[name, field] : v.as_struct()) {
            out += sep;
            appendJsonString(out, name);
            out += ':';
            appendJsonValue(out, field);
            sep = ",";
        }
        out += '}';
        return;
    }
    }
}

} // namespace jitprobe::detail
