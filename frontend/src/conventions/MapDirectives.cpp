// `// @internal MAP ...` and `// @results MAP ...` comments (see MapDirectives.h).
#include "conventions/MapDirectives.h"

#include "conventions/AttachDirectives.h"
#include "jitprobe/common/CloseMatches.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace jitprobe::frontend {
namespace {

bool isIdentifier(const std::string &s) {
    return !s.empty() && !std::isdigit(static_cast<unsigned char>(s[0])) &&
           std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

Diagnostic errorAt(const MapDirective &d, std::string message, std::string hint) {
    return {Diagnostic::Severity::Error, d.loc, std::move(message), d.source_line, std::move(hint)};
}

// The names after the directive word: "start, infotmp" or "start infotmp".
std::string parseNames(const std::string &body, MapDirective &d) {
    std::string text = body;
    std::replace(text.begin(), text.end(), ',', ' ');
    std::istringstream words(text);
    for (std::string name; words >> name;) {
        if (!isIdentifier(name))
            return "'" + name + "' is not a map name";
        d.maps.push_back(name);
    }
    return d.maps.empty() ? "no map named" : "";
}

} // namespace

std::vector<MapDirective> parseMapDirectives(const std::string &source, const std::string &file_name,
                                             std::vector<Diagnostic> &diags) {
    std::vector<MapDirective> out;
    forEachSourceLine(source, [&](const std::string &line, unsigned n) {
        for (const char *word : {"@internal", "@results"}) {
            std::size_t at = directiveAt(line, word);
            if (at == std::string::npos)
                continue;
            MapDirective d{word == std::string("@internal"), {}, {file_name, n, unsigned(at + 1)}, line};
            std::string problem = parseNames(line.substr(at + std::char_traits<char>::length(word)), d);
            if (problem.empty())
                out.push_back(std::move(d));
            else
                diags.push_back(errorAt(d, "malformed " + std::string(word) + " directive: " + problem,
                                        "expected: // " + std::string(word) + " MAP [MAP ...]"));
        }
    });
    return out;
}

void applyMapDirectives(const std::vector<MapDirective> &directives, ProgramInfo &info,
                        std::vector<Diagnostic> &diags) {
    std::vector<std::string> names;
    for (const MapSpec &m : info.maps)
        names.push_back(m.name);
    for (const MapDirective &d : directives)
        for (const std::string &name : d.maps) {
            auto it = std::find_if(info.maps.begin(), info.maps.end(), [&](const MapSpec &m) { return m.name == name; });
            if (it != info.maps.end()) {
                it->internal = d.internal;
                continue;
            }
            std::vector<std::string> near = common::closeMatches(name, names, 1);
            diags.push_back(errorAt(d, "no map named '" + name + "' in this source",
                                    near.empty() ? "" : "did you mean '" + near[0] + "'?"));
        }
}

} // namespace jitprobe::frontend
