// ProgramInfo <-> JSON, so the runtime can keep it beside cached objects.
#include "jitprobe/frontend/ProgramInfo.h"

#include <nlohmann/json.hpp>

namespace jitprobe::frontend {
namespace {
using nlohmann::json;

json toJson(const MapSpec &m) {
    return {{"name", m.name}, {"kind", m.kind}, {"event_type", m.event_type},
            {"pin_path", m.pin_path}, {"line", m.line}, {"internal", m.internal},
            {"sharing", m.sharing}};
}

json toJson(const ProgramSpec &p) {
    json attach = json::array();
    for (const auto &a : p.attach)
        attach.push_back({{"kind", a.kind}, {"target", a.target}, {"line", a.line}});
    return {{"function", p.function}, {"section", p.section}, {"prog_type", p.prog_type},
            {"attach", attach}, {"line", p.line}};
}
} // namespace

const MapSpec *ProgramInfo::findMap(const std::string &name) const {
    for (const auto &m : maps)
        if (m.name == name)
            return &m;
    return nullptr;
}

const ProgramSpec *ProgramInfo::findProgram(const std::string &function) const {
    for (const auto &p : programs)
        if (p.function == function)
            return &p;
    return nullptr;
}

std::string ProgramInfo::toJson() const {
    json j = {{"maps", json::array()}, {"programs", json::array()}};
    for (const auto &m : maps)
        j["maps"].push_back(frontend::toJson(m));
    for (const auto &p : programs)
        j["programs"].push_back(frontend::toJson(p));
    j["printk_formats"] = printk_formats;
    j["pch"] = {pch_name, pch_digest};
    return j.dump();
}

bool ProgramInfo::fromJson(const std::string &text, ProgramInfo &out) {
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
        return false;
    try {
        ProgramInfo info;
        for (const auto &m : j.at("maps"))
            info.maps.push_back({m.at("name"), m.at("kind"), m.at("event_type"), m.at("pin_path"),
                                 m.at("line"), m.value("internal", false), m.value("sharing", "")});
        for (const auto &p : j.at("programs")) {
            ProgramSpec spec{p.at("function"), p.at("section"), p.at("prog_type"), {}, p.at("line")};
            for (const auto &a : p.at("attach"))
                spec.attach.push_back({a.at("kind"), a.at("target"), a.at("line")});
            info.programs.push_back(std::move(spec));
        }
        if (j.contains("pch")) {
            info.pch_name = j.at("pch").at(0);
            info.pch_digest = j.at("pch").at(1);
        }
        if (j.contains("printk_formats"))
            info.printk_formats = j.at("printk_formats").get<std::vector<std::string>>();
        out = std::move(info);
        return true;
    } catch (const json::exception &) {
        return false;
    }
}

} // namespace jitprobe::frontend
