// Human-readable rendering, modelled on BCC tools: maps as tables sorted by value (descending),
// histograms as print_log2_hist ASCII bars, events/printk one line each.
#include "jitprobe/Output.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <sstream>

namespace jitprobe {
namespace {

constexpr int kStarsMax = 40; // BCC's stars_max

std::string hexOf(const std::vector<std::uint8_t> &bytes) {
    std::string s;
    char buf[3];
    for (std::uint8_t b : bytes) {
        std::snprintf(buf, sizeof buf, "%02x", b);
        s += buf;
    }
    return s;
}

// BCC's _stars(): floor(width * val / val_max) stars, capped at width.
std::string stars(std::uint64_t val, std::uint64_t val_max, int width) {
    if (val_max == 0)
        return {};
    auto n = static_cast<int>(static_cast<double>(width) * static_cast<double>(val) / static_cast<double>(val_max));
    return std::string(std::clamp(n, 0, width), '*');
}

std::string textOf(const MapRecord &m) {
    std::ostringstream out;
    out << m.name << " (" << m.kind << "):\n";
    std::vector<const MapEntry *> rows;
    for (const MapEntry &e : m.entries)
        rows.push_back(&e);
    std::stable_sort(rows.begin(), rows.end(), [](const MapEntry *a, const MapEntry *b) {
        return Value::compare(a->value, b->value) > 0;
    });
    std::size_t width = 3;
    for (const MapEntry *e : rows)
        width = std::max(width, value_to_text(e->key).size());
    out << std::string(2, ' ') << "KEY" << std::string(width - 3 + 2, ' ') << "VALUE\n";
    for (const MapEntry *e : rows) {
        std::string key = value_to_text(e->key), value = value_to_text(e->value);
        out << "  " << key << std::string(width - key.size() + 2, ' ') << value << '\n';
        for (const std::string &frame : e->stack)
            out << "        " << frame << '\n';
    }
    return out.str();
}

std::string textOf(const HistRecord &h) {
    std::string out = h.name;
    if (h.key)
        out += " [" + value_to_text(*h.key) + "]";
    out += ":\n";
    return out + render_log2_histogram(h.buckets);
}

std::string textOf(const EventRecord &e) { return e.map + ": " + value_to_text(e.data) + "\n"; }
std::string textOf(const LostRecord &l) {
    return "lost " + std::to_string(l.count) + " events on " + l.map + "\n";
}
// One record, one line: a newline inside a message (a printed string) is escaped, so it
// cannot pass for a second line.
std::string textOf(const PrintkRecord &p) {
    std::string msg;
    for (char c : p.msg)
        msg += c == '\n' ? std::string("\\n") : std::string(1, c);
    return msg + "\n";
}
std::string textOf(const DiagnosticRecord &d) {
    std::string where = d.file;
    if (d.line > 0)
        where += ":" + std::to_string(d.line) + (d.column > 0 ? ":" + std::to_string(d.column) : "");
    return where + ": " + d.severity + ": " + d.message + (d.hint.empty() ? "" : "\nhint: " + d.hint) + "\n";
}
std::string textOf(const ProgramRecord &p) {
    return p.name + ": " + p.prog_type + ", " + std::to_string(p.insns) + " insns, verified\n";
}
} // namespace

std::string value_to_text(const Value &v) {
    switch (v.kind()) {
    case Value::Kind::Null: return "-";
    case Value::Kind::Int: return std::to_string(v.as_int());
    case Value::Kind::UInt: return std::to_string(v.as_uint());
    case Value::Kind::Bool: return v.as_bool() ? "true" : "false";
    case Value::Kind::Double: {
        std::ostringstream s;
        s << v.as_double();
        return s.str();
    }
    case Value::Kind::String: return v.as_string();
    case Value::Kind::Bytes: return "0x" + hexOf(v.as_bytes().data);
    case Value::Kind::List: {
        std::string s = "[";
        for (std::size_t i = 0; i < v.as_list().size(); ++i)
            s += (i ? ", " : "") + value_to_text(v.as_list()[i]);
        return s + "]";
    }
    case Value::Kind::Struct: {
        std::string s;
        for (const auto &[name, field] : v.as_struct()) {
            std::string inner = value_to_text(field);
            if (field.kind() == Value::Kind::Struct)
                inner = "{" + inner + "}";
            s += (s.empty() ? "" : " ") + name + "=" + inner;
        }
        return s;
    }
    }
    return {};
}

std::string render_log2_histogram(const std::vector<HistBucket> &buckets, const std::string &value_label) {
    if (buckets.empty())
        return "     (empty)\n";
    std::uint64_t val_max = 0;
    unsigned slot_max = 0;
    for (const HistBucket &b : buckets) {
        val_max = std::max(val_max, b.count);
        slot_max = std::max(slot_max, b.slot);
    }
    bool wide = slot_max > 32; // BCC switches to 20-digit columns and half-width bars
    int width = wide ? kStarsMax / 2 : kStarsMax;
    char line[256];
    std::snprintf(line, sizeof line, wide ? "               %-29s : count     distribution\n"
                                          : "     %-19s : count     distribution\n",
                  value_label.c_str());
    std::string out = line;
    // Every slot from the first shown (1, or 0 when used) to the last, as BCC prints gaps too.
    unsigned first = buckets.front().slot == 0 ? 0 : 1;
    for (unsigned slot = first; slot <= slot_max; ++slot) {
        auto it = std::find_if(buckets.begin(), buckets.end(), [&](const HistBucket &b) { return b.slot == slot; });
        HistBucket b = log2_bucket(slot, it == buckets.end() ? 0 : it->count);
        std::snprintf(line, sizeof line, wide ? "%20" PRIu64 " -> %-20" PRIu64 " : %-8" PRIu64 " |%-*s|\n"
                                              : "%10" PRIu64 " -> %-10" PRIu64 " : %-8" PRIu64 " |%-*s|\n",
                      b.low, b.high, b.count, width, stars(b.count, val_max, width).c_str());
        out += line;
    }
    return out;
}

namespace {

// Length of the valid UTF-8 sequence at TEXT[I] that is printable (not a C1 control), else 0.
std::size_t printableUtf8(std::string_view text, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    std::size_t len = lead >= 0xc2 && lead <= 0xdf   ? 2
                      : lead >= 0xe0 && lead <= 0xef ? 3
                      : lead >= 0xf0 && lead <= 0xf4 ? 4
                                                     : 0;
    if (len == 0 || i + len > text.size())
        return 0;
    for (std::size_t k = 1; k < len; k++)
        if ((byte(i + k) & 0xc0) != 0x80)
            return 0;
    if (lead == 0xc2 && byte(i + 1) < 0xa0) // U+0080..U+009F: C1 controls (CSI, OSC, ...)
        return 0;
    if ((lead == 0xe0 && byte(i + 1) < 0xa0) || (lead == 0xf0 && byte(i + 1) < 0x90) ||
        (lead == 0xf4 && byte(i + 1) > 0x8f) || (lead == 0xed && byte(i + 1) > 0x9f))
        return 0; // overlong, beyond U+10FFFF, or a surrogate
    return len;
}

} // namespace

std::string escape_terminal_controls(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        std::size_t len = c < 0x80 ? 1 : printableUtf8(text, i);
        if (len > 1 || (len == 1 && ((c >= 0x20 && c != 0x7f) || c == '\n' || c == '\t'))) {
            out.append(text.substr(i, len));
            i += len;
            continue;
        }
        char escaped[5];
        std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
        out += escaped;
        i++;
    }
    return out;
}

std::string render_text(const Record &record) {
    return escape_terminal_controls(std::visit([](const auto &r) { return textOf(r); }, record));
}

} // namespace jitprobe
