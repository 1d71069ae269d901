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

bool isValidUtf8(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8Length(text, i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

void appendEscaped(std::string &out, std::string_view text) {
    static const char hex[] = "0123456789abcdef";
    out += '"';
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xf];
            } else {
                out += ch;
            }
        }
    }
    out += '"';
}

template <typename Number> void appendNumber(std::string &out, Number n) {
    char buffer[24];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, n);
    out.append(buffer, end);
}

} // namespace

void appendJsonString(std::string &out, std::string_view text) {
    if (isValidUtf8(text)) {
        appendEscaped(out, text);
        return;
    }
    // Kernel strings may hold any bytes: nlohmann's replacement rules, kept exactly.
    out += nlohmann::json(std::string(text)).dump(-1, ' ', false,
                                                  nlohmann::json::error_handler_t::replace);
}

void appendJsonValue(std::string &out, const Value &v) {
    switch (v.kind()) {
    case Value::Kind::Null: out += "null"; return;
    case Value::Kind::Int: appendNumber(out, v.asInt()); return;
    case Value::Kind::UInt: appendNumber(out, v.asUInt()); return;
    case Value::Kind::Bool: out += v.asBool() ? "true" : "false"; return;
    case Value::Kind::Double: out += nlohmann::json(v.asDouble()).dump(); return;
    case Value::Kind::String: appendJsonString(out, v.asString()); return;
    case Value::Kind::Bytes: {
        static const char digits[] = "0123456789abcdef";
        out += '"';
        for (std::uint8_t b : v.asBytes().data) {
            out += digits[b >> 4];
            out += digits[b & 0xf];
        }
        out += '"';
        return;
    }
    case Value::Kind::List: {
        out += '[';
        const char *sep = "";
        for (const Value &item : v.asList()) {
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
        for (const auto &[name, field] : v.asStruct()) {
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
