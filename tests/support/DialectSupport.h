// Helpers for the dialect coverage tests (tests/dialect/*.c): the sources, a trigger command
// whose comm is "jpdialect" (the probes filter on it), and the CLI run with JSON Lines parsed.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace jitprobe::testing::dialect {

std::string dialectPath(const std::string &file);
std::string readDialect(const std::string &file);

// A private directory holding `jpdialect`, a symlink to cat (comm "jpdialect").
const std::string &triggerDir();
// `DIR/jpdialect /etc/hostname > /dev/null`: a few dozen openat calls by "jpdialect".
std::string openTrigger();
int runOpenTrigger();

struct CliRun {
    int status = -1;
    std::string out, err;
    std::vector<nlohmann::json> records; // stdout lines that are JSON objects
    // The {"type":"map"} record named NAME, or null JSON.
    nlohmann::json map(const std::string &name) const;
    // Value of the entry whose key equals KEY in map NAME; null JSON if absent.
    nlohmann::json value(const std::string &name, const nlohmann::json &key) const;
};
CliRun runCli(const std::vector<std::string> &args);

// {"comm":"jpdialect"}: the key of per-comm maps.
nlohmann::json commKey(const std::string &comm = "jpdialect");

} // namespace jitprobe::testing::dialect
