// Prometheus text 0.0.4 / OpenMetrics 1.0.0 writer (see Exposition.h).
#include "Exposition.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace jitprobe::metrics {
namespace {

bool isNameStart(char c, bool colon) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}
bool isNameChar(char c, bool colon) { return isNameStart(c, colon) || (c >= '0' && c <= '9'); }

std::string sanitize(std::string_view name, bool colon) {
    std::string out;
    out.reserve(name.size() + 1);
    if (name.empty() || (name[0] >= '0' && name[0] <= '9'))
        out += '_'; // names cannot start with a digit
    for (char c : name)
        out += isNameChar(c, colon) ? c : '_';
    return out;
}

// Length of the valid UTF-8 sequence at S[I] (0: invalid). Overlong forms, surrogates and code
// points above U+10FFFF are invalid (RFC 3629).
std::size_t utf8Length(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    if (c < 0x80)
        return 1;
    std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (n == 0 || c > 0xF4 || i + n > s.size())
        return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((b(i + k) & 0xC0) != 0x80)
            return 0;
    unsigned char d = b(i + 1);
    if ((c == 0xE0 && d < 0xA0) || (c == 0xED && d > 0x9F) || (c == 0xF0 && d < 0x90) ||
        (c == 0xF4 && d > 0x8F))
        return 0;
    return n;
}

const char *typeName(MetricType t) {
    switch (t) {
    case MetricType::Counter: return "counter";
    case MetricType::Gauge: return "gauge";
    case MetricType::Histogram: return "histogram";
    case MetricType::Untyped: break;
    }
    return "untyped";
}

void renderSample(std::string &out, const std::string &name, const Sample &s) {
    out += name;
    out += s.suffix;
    if (!s.labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < s.labels.size(); ++i) {
            if (i)
                out += ',';
            out += s.labels[i].first;
            out += "=\"";
            out += escape_label_value(s.labels[i].second);
            out += '"';
        }
        out += '}';
    }
    out += ' ';
    out += format_value(s.value);
    out += '\n';
}

void renderFamily(std::string &out, const Family &f, Format format) {
    // Text 0.0.4 names a counter's family by its sample name (with _total); OpenMetrics by the
    // base name. Untyped is "unknown" in OpenMetrics.
    std::string head = f.name;
    if (format == Format::Text004 && f.type == MetricType::Counter)
        head += "_total";
    std::string type = typeName(f.type);
    if (format == Format::OpenMetrics && f.type == MetricType::Untyped)
        type = "unknown";
    if (!f.help.empty())
        out += "# HELP " + head + " " + escape_help(f.help, format) + "\n";
    out += "# TYPE " + head + " " + type + "\n";
    for (const Sample &s : f.samples)
        renderSample(out, f.name, s);
}

} // namespace

Format negotiate(std::string_view accept) {
    return accept.find("application/openmetrics-text") != std::string_view::npos ? Format::OpenMetrics
                                                                                   : Format::Text004;
}

std::string_view content_type(Format format) {
    return format == Format::OpenMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                         : "text/plain; version=0.0.4; charset=utf-8";
}

std::string sanitize_metric_name(std::string_view name) { return sanitize(name, true); }

std::string sanitize_label_name(std::string_view name) {
    std::string out = sanitize(name, false);
    while (out.size() >= 2 && out[0] == '_' && out[1] == '_')
        out.erase(0, 1);
    return out;
}

namespace {
// Bytes that are not valid UTF-8 become the text \xNN; QUOTE also escapes '"'.
std::string escapeText(std::string_view value, bool quote) {
    static const char *hex = "0123456789abcdef";
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size();) {
        char c = value[i];
        std::size_t n = utf8Length(value, i);
        if (n == 0) {
            auto u = static_cast<unsigned char>(c);
            out += "\\\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
            ++i;
            continue;
        }
        if (c == '\\')
            out += "\\\\";
        else if (c == '"' && quote)
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out.append(value.substr(i, n));
        i += n;
    }
    return out;
}
} // namespace

std::string escape_label_value(std::string_view value) { return escapeText(value, true); }

std::string escape_help(std::string_view help, Format format) {
    return escapeText(help, format == Format::OpenMetrics);
}

std::string format_value(double value) {
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) // 2^53: exact
        return std::to_string(static_cast<std::int64_t>(value));
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    return ec == std::errc() ? std::string(buf, end) : "NaN";
}

void render(std::string &out, const std::vector<Family> &families, Format format) {
    for (const Family &f : families)
        renderFamily(out, f, format);
    if (format == Format::OpenMetrics)
        out += "# EOF\n";
}

} // namespace jitprobe::metrics
