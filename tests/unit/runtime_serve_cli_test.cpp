// `jitprobe serve`'s argument handling and early errors (before anything is compiled or loaded:
// no privileges needed).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

namespace {
const std::string kBinary = JITPROBE_BINARY_DIR "/runtime/cli/jitprobe";

struct Outcome {
    int exit_code = -1;
    std::string output; // stdout + stderr
};

Outcome runServe(const std::string &args) {
    Outcome o;
    FILE *p = popen((kBinary + " serve " + args + " 2>&1").c_str(), "r");
    if (!p)
        return o;
    std::array<char, 4096> buf;
    for (std::size_t n; (n = fread(buf.data(), 1, buf.size(), p)) > 0;)
        o.output.append(buf.data(), n);
    int status = pclose(p);
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return o;
}
} // namespace

TEST(ServeCli, HelpListsTheServerOptions) {
    Outcome o = runServe("--help");
    EXPECT_EQ(o.exit_code, 0) << o.output;
    for (const char *opt : {"--listen", "--path", "--namespace", "--max-series"})
        EXPECT_NE(o.output.find(opt), std::string::npos) << opt << "\n" << o.output;
}

TEST(ServeCli, MissingFileAndBadListenAreUsageErrors) {
    Outcome none = runServe("");
    EXPECT_EQ(none.exit_code, 2) << none.output;
    EXPECT_NE(none.output.find("missing FILE.c"), std::string::npos) << none.output;
    std::string probe = ::testing::TempDir() + "serve_probe.c";
    std::ofstream(probe) << "BPF_HASH(counts, u32, u64);\n";
    Outcome bad = runServe(probe + " --listen nope");
    EXPECT_EQ(bad.exit_code, 2) << bad.output;
    EXPECT_NE(bad.output.find("--listen 'nope': expected HOST:PORT"), std::string::npos) << bad.output;
}

TEST(ServeCli, BadMetricDirectiveIsRejectedAtItsLineBeforeCompiling) {
    std::string probe = ::testing::TempDir() + "serve_bad_directive.c";
    std::ofstream(probe) << "BPF_HASH(counts, u32, u64);\n// @metric counts gauge decode=key:morse\n";
    Outcome o = runServe(probe);
    EXPECT_EQ(o.exit_code, 2) << o.output;
    EXPECT_NE(o.output.find(probe + ":2:25: error: bad @metric directive: bad decode 'key:morse'"),
              std::string::npos) << o.output;
}
