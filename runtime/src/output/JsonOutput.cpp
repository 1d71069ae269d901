// JSON Lines rendering of result records (one object per line, per the CLI contract), written
// straight into the line (JsonText.h): no JSON document is built per event.
#include "jitprobe/Output.h"

#include "JsonText.h"

namespace jitprobe {
namespace {
using detail::appendJsonString;
using detail::appendJsonValue;

// {"type":"TYPE","name":NAME  (the object is left open for the record's other members)
void openRecord(std::string &out, const char *type, const char *name_key, const std::string &name) {
    out += "{\"type\":\"";
    out += type;
    out += "\",\"";
    out += name_key;
    out += "\":";
    appendJsonString(out, name);
}

void appendCount(std::string &out, const char *key, std::uint64_t n) {
    out += ",\"";
    out += key;
    out += "\":";
    out += std::to_string(n);
}

void render(std::string &out, const MapRecord &m) {
    openRecord(out, "map", "name", m.name);
    out += ",\"kind\":";
    appendJsonString(out, m.kind);
    out += ",\"entries\":[";
    const char *sep = "";
    for (const MapEntry &e : m.entries) {
        out += sep;
        out += "{\"key\":";
        appendJsonValue(out, e.key);
        out += ",\"value\":";
        appendJsonValue(out, e.value);
        out += '}';
        sep = ",";
    }
    out += "]}";
}

void render(std::string &out, const HistRecord &h) {
    openRecord(out, "hist", "name", h.name);
    if (h.key) {
        out += ",\"key\":";
        appendJsonValue(out, *h.key);
    }
    out += ",\"buckets\":[";
    const char *sep = "";
    for (const HistBucket &b : h.buckets) {
        out += sep;
        out += "{\"low\":" + std::to_string(b.low) + ",\"high\":" + std::to_string(b.high) +
               ",\"count\":" + std::to_string(b.count) + "}";
        sep = ",";
    }
    out += "]}";
}

void render(std::string &out, const EventRecord &e) {
    openRecord(out, "event", "map", e.map);
    out += ",\"data\":";
    appendJsonValue(out, e.data);
    out += '}';
}

void render(std::string &out, const LostRecord &l) {
    openRecord(out, "lost", "map", l.map);
    appendCount(out, "count", l.count);
    out += '}';
}

void render(std::string &out, const PrintkRecord &p) {
    out += "{\"type\":\"printk\",\"msg\":";
    appendJsonString(out, p.msg);
    out += '}';
}

void render(std::string &out, const DiagnosticRecord &d) {
    openRecord(out, d.severity.c_str(), "file", d.file);
    appendCount(out, "line", d.line);
    appendCount(out, "column", d.column);
    out += ",\"message\":";
    appendJsonString(out, d.message);
    if (!d.hint.empty()) {
        out += ",\"hint\":";
        appendJsonString(out, d.hint);
    }
    out += '}';
}

void render(std::string &out, const ProgramRecord &p) {
    openRecord(out, "program", "name", p.name);
    out += ",\"prog_type\":";
    appendJsonString(out, p.prog_type);
    appendCount(out, "insns", p.insns);
    out += '}';
}
} // namespace

std::string value_to_json(const Value &v) {
    std::string out;
    appendJsonValue(out, v);
    return out;
}

std::string render_json_line(const Record &record) {
    std::string out;
    std::visit([&out](const auto &r) { render(out, r); }, record);
    return out;
}

void write_record(std::ostream &out, OutputFormat format, const Record &record) {
    if (format == OutputFormat::Json) {
        std::string line = render_json_line(record);
        line += '\n';
        out.write(line.data(), static_cast<std::streamsize>(line.size()));
    } else {
        out << render_text(record);
    }
}

} // namespace jitprobe
