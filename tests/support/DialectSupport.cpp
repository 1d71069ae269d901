#include "DialectSupport.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace jitprobe::testing::dialect {
namespace fs = std::filesystem;

std::string dialectPath(const std::string &file) {
    return std::string(JITPROBE_SOURCE_DIR) + "/tests/dialect/" + file;
}

static std::string slurp(const std::string &path) {
    std::ifstream in(path);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

std::string readDialect(const std::string &file) { return slurp(dialectPath(file)); }

namespace {
struct TriggerDir { // removed when the test process exits
    std::string path;
    TriggerDir() {
        path = (fs::temp_directory_path() / ("jp-dialect-" + std::to_string(::getpid()))).string();
        fs::create_directories(path);
        fs::remove(path + "/jpdialect");
        fs::create_symlink("/bin/cat", path + "/jpdialect");
    }
    ~TriggerDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};
} // namespace

const std::string &triggerDir() {
    static const TriggerDir dir;
    return dir.path;
}

std::string openTrigger() { return triggerDir() + "/jpdialect /etc/hostname > /dev/null"; }

int runOpenTrigger() { return std::system(openTrigger().c_str()); }

static std::string quote(const std::string &s) {
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

CliRun runCli(const std::vector<std::string> &args) {
    std::string base = triggerDir() + "/cli";
    std::string cmd = quote(std::string(JITPROBE_BINARY_DIR) + "/runtime/cli/jitprobe");
    for (const auto &a : args)
        cmd += " " + quote(a);
    cmd += " > " + base + ".out 2> " + base + ".err";
    CliRun run;
    int raw = std::system(cmd.c_str());
    run.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    run.out = slurp(base + ".out");
    run.err = slurp(base + ".err");
    std::istringstream lines(run.out);
    for (std::string line; std::getline(lines, line);) {
        if (line.empty() || line[0] != '{')
            continue;
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_object())
            run.records.push_back(std::move(j));
    }
    return run;
}

nlohmann::json CliRun::map(const std::string &name) const {
    for (const auto &r : records)
        if (r.value("type", "") == "map" && r.value("name", "") == name)
            return r;
    return nullptr;
}

nlohmann::json CliRun::value(const std::string &name, const nlohmann::json &key) const {
    auto m = map(name);
    if (m.is_null())
        return nullptr;
    for (const auto &e : m["entries"])
        if (e["key"] == key)
            return e["value"];
    return nullptr;
}

nlohmann::json commKey(const std::string &comm) { return {{"comm", comm}}; }

} // namespace jitprobe::testing::dialect
