#include "jitprobe/frontend/ProcessPipe.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <unistd.h>

namespace jitprobe::frontend {

bool writeAll(int fd, const std::string &data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<size_t>(n);
    }
    return true;
}

std::string readAll(int fd) {
    std::string data;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof(buffer));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return data;
        data.append(buffer, static_cast<size_t>(n));
    }
}

std::string diagnosticsToJson(const std::vector<Diagnostic> &diags) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto &d : diags)
        list.push_back({{"severity", static_cast<int>(d.severity)}, {"file", d.loc.file},
                        {"line", d.loc.line}, {"column", d.loc.column}, {"message", d.message},
                        {"source_line", d.source_line}, {"hint", d.hint}});
    return list.dump();
}

bool diagnosticsFromJson(const std::string &text, std::vector<Diagnostic> &out) {
    auto list = nlohmann::json::parse(text, nullptr, false);
    if (list.is_discarded() || !list.is_array())
        return false;
    std::vector<Diagnostic> parsed;
    try {
        for (const auto &d : list)
            parsed.push_back({static_cast<Diagnostic::Severity>(d.at("severity").get<int>()),
                              {d.at("file"), d.at("line"), d.at("column")},
                              d.at("message"),
                              d.at("source_line"),
                              d.at("hint")});
    } catch (const nlohmann::json::exception &) {
        return false;
    }
    out.insert(out.end(), parsed.begin(), parsed.end());
    return true;
}

} // namespace jitprobe::frontend
