// JSON Lines rendering of result records (one object per line, per the CLI contract).
#include "jitprobe/Output.h"

#include <nlohmann/json.hpp>

namespace jitprobe {
namespace {
using json = nlohmann::ordered_json; // keeps struct members in declaration order

std::string hexOf(const std::vector<std::uint8_t> &bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    s.reserve(bytes.size() * 2);
    for (std::uint8_t b : bytes) {
        s += digits[b >> 4];
        s += digits[b & 0xf];
    }
    return s;
}

json toJson(const Value &v) {
    switch (v.kind()) {
    case Value::Kind::Null: return nullptr;
    case Value::Kind::Int: return v.asInt();
    case Value::Kind::UInt: return v.asUInt();
    case Value::Kind::Bool: return v.asBool();
    case Value::Kind::Double: return v.asDouble();
    case Value::Kind::String: return v.asString();
    case Value::Kind::Bytes: return hexOf(v.asBytes().data);
    case Value::Kind::List: {
        json arr = json::array();
        for (const Value &item : v.asList())
            arr.push_back(toJson(item));
        return arr;
    }
    case Value::Kind::Struct: {
        json obj = json::object();
        for (const auto &[name, field] : v.asStruct())
            obj[name] = toJson(field);
        return obj;
    }
    }
    return nullptr;
}

// Kernel strings may hold any bytes: replace invalid UTF-8 instead of throwing.
std::string dump(const json &j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json recordJson(const MapRecord &m) {
    json entries = json::array();
    for (const MapEntry &e : m.entries)
        entries.push_back({{"key", toJson(e.key)}, {"value", toJson(e.value)}});
    return {{"type", "map"}, {"name", m.name}, {"kind", m.kind}, {"entries", std::move(entries)}};
}

json recordJson(const HistRecord &h) {
    json buckets = json::array();
    for (const HistBucket &b : h.buckets)
        buckets.push_back({{"low", b.low}, {"high", b.high}, {"count", b.count}});
    json obj = {{"type", "hist"}, {"name", h.name}};
    if (h.key)
        obj["key"] = toJson(*h.key);
    obj["buckets"] = std::move(buckets);
    return obj;
}

json recordJson(const EventRecord &e) { return {{"type", "event"}, {"map", e.map}, {"data", toJson(e.data)}}; }
json recordJson(const LostRecord &l) { return {{"type", "lost"}, {"map", l.map}, {"count", l.count}}; }
json recordJson(const PrintkRecord &p) { return {{"type", "printk"}, {"msg", p.msg}}; }
json recordJson(const ProgramRecord &p) {
    return {{"type", "program"}, {"name", p.name}, {"prog_type", p.prog_type}, {"insns", p.insns}};
}
} // namespace

std::string valueToJson(const Value &v) { return dump(toJson(v)); }

std::string renderJsonLine(const Record &record) {
    return std::visit([](const auto &r) { return dump(recordJson(r)); }, record);
}

void writeRecord(std::ostream &out, OutputFormat format, const Record &record) {
    if (format == OutputFormat::Json)
        out << renderJsonLine(record) << '\n';
    else
        out << renderText(record);
}

} // namespace jitprobe
