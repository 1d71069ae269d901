// The BCC-tool corpus (tests/bcc_corpus/*.c): programs written the way BCC's tools embed them
// (kernel includes, kprobe/kretprobe pairs, typed probe arguments, kernel pointer chains, raw
// tracepoints, perf events, stack traces). Each file must pass `jitprobe check --format json`:
// exit 0 and one program object with insns > 0 for every program the source defines. One test
// for the whole corpus (one ctest).
#include "LiveSupport.h"

#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string readFile(const fs::path &path) {
    std::ifstream in(path);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

std::string stripBlockComments(std::string src) {
    for (size_t b = src.find("/*"); b != std::string::npos; b = src.find("/*", b)) {
        size_t e = src.find("*/", b + 2);
        src.erase(b, e == std::string::npos ? std::string::npos : e + 2 - b);
    }
    return src;
}

// Names of the BPF programs a source defines, by the same rules as the conformance runner:
// non-static functions with a body at the start of a line, TRACEPOINT_PROBE(c, e) and
// RAW_TRACEPOINT_PROBE(e).
std::vector<std::string> expectedPrograms(const std::string &source) {
    std::string src = stripBlockComments(source);
    static const std::regex funcDef(
        R"((?!\s*(?:static|#|//))[A-Za-z_][\w \t\*]*?\b([A-Za-z_]\w*)\s*\([^;{}()]*\)\s*\{)");
    static const std::regex tp(R"(\bTRACEPOINT_PROBE\s*\(\s*(\w+)\s*,\s*(\w+)\s*\))");
    static const std::regex rawTp(R"(\bRAW_TRACEPOINT_PROBE\s*\(\s*(\w+)\s*\))");
    std::vector<std::string> names;
    for (size_t at = 0; at < src.size(); at = src.find('\n', at) + 1) {
        std::smatch m;
        auto begin = src.cbegin() + static_cast<std::ptrdiff_t>(at);
        if (std::regex_search(begin, src.cend(), m, funcDef, std::regex_constants::match_continuous)) {
            std::string name = m[1];
            if (name != "TRACEPOINT_PROBE" && name != "RAW_TRACEPOINT_PROBE" && name != "if" &&
                name != "for" && name != "while" && name != "switch")
                names.push_back(name);
        }
        if (src.find('\n', at) == std::string::npos)
            break;
    }
    for (std::sregex_iterator it(src.begin(), src.end(), tp), end; it != end; ++it)
        names.push_back("tracepoint__" + (*it)[1].str() + "__" + (*it)[2].str());
    for (std::sregex_iterator it(src.begin(), src.end(), rawTp), end; it != end; ++it)
        names.push_back("raw_tracepoint__" + (*it)[1].str());
    return names;
}

struct CheckResult {
    int status = -1;
    std::string out, err;
    std::map<std::string, long> insns; // program name -> insns
};

CheckResult runCheck(const fs::path &file) {
    CheckResult res;
    fs::path errFile = fs::temp_directory_path() / ("jp-corpus-" + std::to_string(::getpid()) + ".err");
    std::string cmd = "'" + std::string(JITPROBE_BINARY_DIR) + "/runtime/cli/jitprobe' check '" +
                      file.string() + "' --format json 2>'" + errFile.string() + "'";
    FILE *pipe = ::popen(cmd.c_str(), "r");
    if (!pipe)
        return res;
    char buf[4096];
    while (::fgets(buf, sizeof(buf), pipe))
        res.out += buf;
    int st = ::pclose(pipe);
    res.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    res.err = readFile(errFile);
    fs::remove(errFile);
    std::istringstream lines(res.out);
    for (std::string line; std::getline(lines, line);) {
        json j = json::parse(line, nullptr, false);
        if (!j.is_discarded() && j.is_object() && j.value("type", "") == "program")
            res.insns[j.value("name", "")] = j.value("insns", 0L);
    }
    return res;
}

TEST(BccCorpus, EveryProgramPassesTheVerifier) {
    JP_REQUIRE_BPF_PRIVILEGES();
    fs::path cli = fs::path(JITPROBE_BINARY_DIR) / "runtime/cli/jitprobe";
    ASSERT_TRUE(fs::exists(cli)) << cli << " is missing: build the jitprobe-cli target";
    std::vector<fs::path> files;
    for (const auto &entry : fs::directory_iterator(fs::path(JITPROBE_SOURCE_DIR) / "tests/bcc_corpus"))
        if (entry.path().extension() == ".c")
            files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 12u) << "the corpus lost files";

    size_t programs = 0;
    for (const auto &file : files) {
        SCOPED_TRACE(file.filename().string());
        auto expected = expectedPrograms(readFile(file));
        EXPECT_FALSE(expected.empty()) << "no probe functions found in the source";
        auto res = runCheck(file);
        EXPECT_EQ(res.status, 0) << "stderr:\n" << res.err;
        for (const auto &name : expected) {
            auto it = res.insns.find(name);
            if (it == res.insns.end()) {
                ADD_FAILURE() << "no program object for '" << name << "'\nstdout:\n"
                              << res.out << "stderr:\n" << res.err;
                continue;
            }
            EXPECT_GT(it->second, 0) << name;
            ++programs;
        }
    }
    std::printf("bcc corpus: %zu files, %zu programs verified\n", files.size(), programs);
}

} // namespace
