// The bad-input corpus (tests/bad_input/*.c) and generated bad inputs through `jitprobe check`:
// every one fails with exit status 1 and a clear message, never a signal, within a time bound.
#include "LiveSupport.h"
#include "ProcessRunner.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

using namespace jitprobe::testing;
namespace fs = std::filesystem;

namespace {

constexpr double kBoundSeconds = 150; // a verifier walking 1M insns on a loaded 2-core box

struct Case {
    std::string path;
    std::vector<std::string> expect;  // regexes that must all match the output
    std::vector<std::string> command; // CLI arguments, FILE substituted
};

Case readCase(const fs::path &path) {
    Case c{path.string(), {}, {"check", path.string()}};
    std::ifstream in(path);
    for (std::string line; std::getline(in, line) && line.rfind("//", 0) == 0;) {
        if (line.rfind("// EXPECT: ", 0) == 0)
            c.expect.push_back(line.substr(11));
        if (line.rfind("// COMMAND: ", 0) == 0) {
            c.command.clear();
            std::istringstream words(line.substr(12));
            for (std::string w; words >> w;)
                c.command.push_back(w == "FILE" ? path.string() : w);
        }
    }
    return c;
}

std::vector<Case> corpus() {
    std::vector<Case> cases;
    for (const auto &e : fs::directory_iterator(JITPROBE_SOURCE_DIR "/tests/bad_input"))
        if (e.path().extension() == ".c")
            cases.push_back(readCase(e.path()));
    std::sort(cases.begin(), cases.end(), [](auto &a, auto &b) { return a.path < b.path; });
    return cases;
}

ProcessResult runCli(std::vector<std::string> args) {
    args.insert(args.begin(), cliPath());
    ProcessOptions o;
    o.timeout_s = kBoundSeconds;
    return runProcess(args, o);
}

// Exit 1, no signal, no timeout, a "jitprobe: error"/"error:" message.
void expectCleanFailure(const ProcessResult &r, const std::string &what) {
    EXPECT_FALSE(r.timed_out) << what << ": still running after " << kBoundSeconds << " s";
    EXPECT_EQ(r.signal, 0) << what << ": killed by signal " << r.signal << "\n" << r.output;
    EXPECT_EQ(r.exit_code, 1) << what << "\n" << r.output;
    EXPECT_NE(r.output.find("error"), std::string::npos) << what << ": no error message\n" << r.output;
    EXPECT_EQ(r.output.find("AddressSanitizer"), std::string::npos) << r.output;
}

std::string writeTemp(const std::string &name, const std::string &contents) {
    std::string path = ::testing::TempDir() + name;
    std::ofstream(path, std::ios::binary) << contents;
    return path;
}

class BadInput : public ::testing::Test {
  protected:
    void SetUp() override {
        JP_REQUIRE_BPF_PRIVILEGES();
        if (!fs::exists(cliPath()))
            GTEST_SKIP() << cliPath() << " not built";
    }
};

} // namespace

TEST_F(BadInput, CorpusFailsCleanlyWithItsMessage) {
    auto cases = corpus();
    ASSERT_GE(cases.size(), 12u);
    for (const Case &c : cases) {
        SCOPED_TRACE(c.path);
        ASSERT_FALSE(c.expect.empty()) << c.path << " has no // EXPECT: line";
        ProcessResult r = runCli(c.command);
        expectCleanFailure(r, c.path);
        for (const auto &pattern : c.expect)
            EXPECT_TRUE(std::regex_search(r.output, std::regex(pattern, std::regex::icase)))
                << c.path << ": output does not match /" << pattern << "/\n" << r.output;
    }
}

TEST_F(BadInput, EmptyAndBlankFiles) {
    for (const char *text : {"", "\n\n   \t\n"}) {
        ProcessResult r = runCli({"check", writeTemp("jp_empty.c", text)});
        expectCleanFailure(r, "empty file");
        EXPECT_TRUE(std::regex_search(r.output, std::regex("empty", std::regex::icase))) << r.output;
    }
}

TEST_F(BadInput, BinaryGarbage) {
    std::mt19937 rng(42);
    std::string bytes(64 * 1024, '\0');
    for (auto &b : bytes)
        b = char(rng());
    ProcessResult r = runCli({"check", writeTemp("jp_garbage.c", "\x7f" "ELF" + bytes)});
    expectCleanFailure(r, "binary garbage");
    EXPECT_NE(r.output.find("not a text source"), std::string::npos) << r.output;
}

TEST_F(BadInput, HighBytesWithoutNulAreCompileErrors) {
    std::mt19937 rng(7);
    std::string text = "TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { return 0; }\n";
    for (int i = 0; i < 4096; i++)
        text += char(0x80 + rng() % 0x80);
    ProcessResult r = runCli({"check", writeTemp("jp_high.c", text)});
    expectCleanFailure(r, "high bytes");
}

TEST_F(BadInput, TenMegabyteSourceIsRefusedQuickly) {
    std::string text = "TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { return 0; }\n";
    while (text.size() < 10u << 20)
        text += "// padding padding padding padding padding padding padding padding padding\n";
    ProcessResult r = runCli({"check", writeTemp("jp_huge.c", text)});
    expectCleanFailure(r, "10 MB source");
    EXPECT_NE(r.output.find("MiB"), std::string::npos) << r.output;
    EXPECT_LT(r.seconds, 10.0);
    fs::remove(::testing::TempDir() + "jp_huge.c");
}

TEST_F(BadInput, MissingAndDirectoryPaths) {
    ProcessResult missing = runCli({"check", "/no/such/probe.c"});
    expectCleanFailure(missing, "missing file");
    EXPECT_NE(missing.output.find("/no/such/probe.c"), std::string::npos) << missing.output;
    ProcessResult dir = runCli({"check", "/tmp"});
    expectCleanFailure(dir, "a directory");
}
