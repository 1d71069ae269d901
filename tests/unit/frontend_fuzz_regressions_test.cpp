// Inputs the fuzzer (tests/fuzz, scripts/fuzz.sh) found crashing or hanging the frontend, and
// hand-made neighbours of them. Each must compile to an object or fail with an error
// diagnostic, within a time bound; tests/fuzz/regressions/* are run the same way.
#include "jitprobe/frontend/Frontend.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace jitprobe::frontend;

namespace {

CompileOptions options(bool codegen) {
    CompileOptions o;
    o.file_name = "fuzz.c";
    o.cache_dir = ::testing::TempDir() + "jp-fuzz-regressions-cache";
    o.stop_after_rewrite = !codegen;
    return o;
}

bool hasError(const CompileResult &r) {
    for (const auto &d : r.diagnostics)
        if (d.severity == Diagnostic::Severity::Error)
            return true;
    return false;
}

// Survives, and either succeeds with output or fails saying why; returns the diagnostics.
std::string compileSurvives(const std::string &source, bool codegen) {
    auto start = std::chrono::steady_clock::now();
    CompileResult r = compile(source, options(codegen));
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(s, 60.0) << "compile took " << s << " s";
    if (r.ok) {
        EXPECT_FALSE(r.rewritten.empty());
        EXPECT_TRUE(!codegen || !r.object.empty());
    } else {
        EXPECT_TRUE(hasError(r)) << "failed without an error diagnostic";
    }
    return formatDiagnostics(r.diagnostics);
}

std::vector<std::filesystem::path> regressionFiles() {
    std::vector<std::filesystem::path> files;
    for (const auto &e : std::filesystem::directory_iterator(JITPROBE_SOURCE_DIR "/tests/fuzz/regressions"))
        if (e.is_regular_file() && e.path().filename().string()[0] != '.')
            files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::string readFile(const std::filesystem::path &p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

TEST(FrontendFuzzRegressions, StoredReproducersCompileOrFailCleanly) {
    auto files = regressionFiles();
    for (const auto &f : files) {
        SCOPED_TRACE(f.string());
        compileSurvives(readFile(f), /*codegen=*/true);
    }
}

// handmade_a1.c: `#define LOOK(m, k) m.lookup(&k)` used to lose its argument in the rewrite
// (`bpf_map_lookup_elem(&counts, )`) and fail with a Clang error about text the user never
// wrote; now it is the pass's own error at the user's line.
TEST(FrontendFuzzRegressions, MapCallArgumentPartlyFromAMacroBodyIsAClearError) {
    std::string diags = compileSurvives(R"(BPF_HASH(counts, u32, u64);
#define LOOK(m, k) m.lookup(&k)
TRACEPOINT_PROBE(syscalls, sys_enter_getpid) {
    u32 k = 1; u64 *v = LOOK(counts, k);
    return v ? 0 : 1;
}
)", /*codegen=*/false);
    EXPECT_NE(diags.find("fuzz.c:4:"), std::string::npos) << diags;
    EXPECT_NE(diags.find("inside a macro expansion cannot be rewritten"), std::string::npos) << diags;
    EXPECT_EQ(diags.find("expected expression"), std::string::npos) << diags;
}

TEST(FrontendFuzzRegressions, MapCallWholeInAMacroWithFileArgumentsStillCompiles) {
    CompileResult r = compile(R"(BPF_HASH(counts, u32, u64);
#define INC(m, k) m.increment(k)
TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { u32 k = 1; INC(counts, k); return 0; }
)", options(/*codegen=*/true));
    EXPECT_TRUE(r.ok) << formatDiagnostics(r.diagnostics);
    EXPECT_NE(r.rewritten.find("__jp_increment(&counts, k, 1)"), std::string::npos) << r.rewritten;
}
