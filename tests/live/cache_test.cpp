// The object cache end to end: the CLI twice on one probe (miss, then a hit that never maps the
// compiler), a tampered entry rebuilt, JSON phase records, and the C++ API's phase_times().
#include "LiveSupport.h"
#include "ProcessRunner.h"
#include "jitprobe/BPF.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace jitprobe;
namespace fs = std::filesystem;

namespace {

const std::string kCli = jitprobe::testing::cliPath();

const char *kProbe = R"(BPF_HASH(counts, u32, u64);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    counts.increment(pid);
    return 0;
}
)";

struct CacheFixture : ::testing::Test {
    std::string dir, probe;
    void SetUp() override {
        JP_REQUIRE_BPF_PRIVILEGES();
        char tmpl[] = "/tmp/jp_live_cache.XXXXXX";
        dir = ::mkdtemp(tmpl);
        probe = dir + "/probe.c";
        std::ofstream(probe) << kProbe;
    }
    void TearDown() override {
        std::error_code ec;
        if (!dir.empty())
            fs::remove_all(dir, ec);
    }
    std::string cache() const { return dir + "/cache"; }

    // stdout + stderr of the CLI with its cache in our temp dir; ENV: extra VAR=VALUE words.
    std::string cli(const std::string &args, const std::string &env = "", int *status = nullptr) {
        return jitprobe::testing::shellOutput(
            "env JITPROBE_CACHE_DIR=" + cache() + " " + env + " " + kCli + " " + args, status);
    }

    std::string onlyEntry() const {
        std::string found;
        for (const auto &e : fs::directory_iterator(cache() + "/objects"))
            found = e.path();
        return found;
    }
};

bool has(const std::string &text, const std::string &what) {
    return text.find(what) != std::string::npos;
}

} // namespace

TEST_F(CacheFixture, SecondRunIsACacheHitWithoutTheCompiler) {
    int rc = -1;
    // A miss compiles in a child process, jitprobe-compiler, never in the process that runs the
    // probes: strace sees it executed (it is linked statically: no loader output names it).
    bool strace = std::system("command -v strace >/dev/null 2>&1") == 0;
    // LeakSanitizer cannot run under ptrace.
    std::string first = cli("check --time-phases " + probe,
                            strace ? "ASAN_OPTIONS=detect_leaks=0 strace -f -qq -e trace=execve"
                                     " -e signal=none"
                                   : "",
                            &rc);
    ASSERT_EQ(rc, 0) << first;
    EXPECT_TRUE(has(first, "phase cache: miss")) << first;
    EXPECT_TRUE(has(first, "phase frontend_loaded: no")) << first;
    if (strace) {
        EXPECT_TRUE(has(first, "/jitprobe-compiler\", [")) << "the compiler child runs:\n" << first;
    }

    // LD_DEBUG=files: the dynamic loader itself lists every object it maps (dlopen included).
    std::string second = cli("check --time-phases " + probe, "LD_DEBUG=files", &rc);
    ASSERT_EQ(rc, 0) << second;
    EXPECT_TRUE(has(second, "phase cache: hit")) << second;
    EXPECT_TRUE(has(second, "phase frontend_loaded: no")) << second;
    EXPECT_TRUE(has(second, "phase parse: 0.000 ms")) << second;
    EXPECT_TRUE(has(second, "libc.so")) << "LD_DEBUG output expected:\n" << second;
    for (const char *lib : {"libjitprobe-frontend", "libLLVM", "libclang"})
        EXPECT_FALSE(has(second, lib)) << lib << " was mapped on a cache hit:\n" << second;
    EXPECT_TRUE(has(second, "verified")) << second;

    // The report can say yes: with LLVM preloaded, it does (the link-order check of a sanitizer
    // build would refuse the preload).
    std::string preloaded = cli("check --time-phases " + probe,
                                "LD_PRELOAD=/usr/lib/llvm-16/lib/libLLVM-16.so "
                                "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0",
                                &rc);
    ASSERT_EQ(rc, 0) << preloaded;
    EXPECT_TRUE(has(preloaded, "phase frontend_loaded: yes")) << preloaded;
}

TEST_F(CacheFixture, TamperedEntryIsRebuiltNotLoaded) {
    int rc = -1;
    ASSERT_EQ((cli("check " + probe, "", &rc), rc), 0);
    std::string entry = onlyEntry();
    ASSERT_FALSE(entry.empty());
    std::fstream f(entry, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(200);
    f.put('\x5a'); // somewhere in the ELF
    f.close();
    std::string out = cli("-v check --time-phases " + probe, "", &rc);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_TRUE(has(out, "phase cache: rebuilt")) << out;
    EXPECT_TRUE(has(out, "SHA-256 mismatch")) << "-v names the reason:\n" << out;
    EXPECT_TRUE(has(cli("check --time-phases " + probe), "phase cache: hit"));
}

TEST_F(CacheFixture, JsonPhasesAndNoCache) {
    ASSERT_TRUE(has(cli("check " + probe), "verified"));
    std::string json = cli("check --format json --time-phases " + probe);
    EXPECT_TRUE(has(json, "{\"type\":\"phases\",\"cache_lookup_ms\":")) << json;
    EXPECT_TRUE(has(json, "\"cache\":\"hit\"")) << json;
    EXPECT_TRUE(has(json, "\"frontend_loaded\":false")) << json;
    EXPECT_TRUE(has(json, "\"type\":\"program\"")) << json;
    std::string off = cli("check --no-cache --time-phases " + probe);
    EXPECT_TRUE(has(off, "phase cache: off")) << off;
    EXPECT_TRUE(has(off, "phase frontend_loaded: no")) << off;
    EXPECT_FALSE(has(off, "phase parse: 0.000 ms")) << "--no-cache compiles:\n" << off;
}

TEST_F(CacheFixture, UntrustedDirectoryIsBypassedWithAReason) {
    ASSERT_EQ(::mkdir(cache().c_str(), 0777), 0);
    ASSERT_EQ(::chmod(cache().c_str(), 0777), 0);
    int rc = -1;
    std::string out = cli("-v check --time-phases " + probe, "", &rc);
    ASSERT_EQ(rc, 0) << "the probe still runs, compiled:\n" << out;
    EXPECT_TRUE(has(out, "phase cache: off")) << out;
    EXPECT_TRUE(has(out, "mode 0777")) << out;
    EXPECT_FALSE(fs::exists(cache() + "/objects"));
}

TEST_F(CacheFixture, RunAttachesFromTheCacheAndCacheCommandCounts) {
    ASSERT_TRUE(has(cli("check " + probe), "verified"));
    int rc = -1;
    std::string out = cli("run --time-phases " + probe + " -c /bin/true", "", &rc);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_TRUE(has(out, "phase cache: hit")) << out;
    EXPECT_TRUE(has(out, "phase attach: ")) << out;
    EXPECT_TRUE(has(cli("cache stats"), "entries:   1"))
        << "-c adds no -DTARGET_PID to a source that does not use it: same key";
    EXPECT_TRUE(has(cli("cache clear --format json"), "\"action\":\"clear\""));
    EXPECT_TRUE(has(cli("cache stats"), "entries:   0"));
}

TEST_F(CacheFixture, CppApiReportsPhasesAndHits) {
    InitOptions opts;
    opts.cache_dir = cache();
    opts.want_rewritten = true;
    BPF first;
    ASSERT_TRUE(first.init(kProbe, {}, opts).ok());
    EXPECT_FALSE(first.phase_times().cache_hit);
    EXPECT_TRUE(first.phase_times().cache_used);
    EXPECT_GT(first.phase_times().parse_ms, 0);
    EXPECT_GT(first.phase_times().codegen_ms, 0);
    // Compiled in a child process: this process (which runs the probes) never maps LLVM.
    EXPECT_FALSE(first.phase_times().frontend_loaded);
    BPF second;
    ASSERT_TRUE(second.init(kProbe, {}, opts).ok());
    const PhaseTimes &t = second.phase_times();
    EXPECT_TRUE(t.cache_hit);
    EXPECT_EQ(t.parse_ms, 0);
    EXPECT_GT(t.load_ms, 0);
    EXPECT_EQ(second.rewritten_source(), first.rewritten_source()) << "kept for dump";
    ASSERT_TRUE(second.attach_all().ok());
    EXPECT_GT(second.phase_times().attach_ms, 0);
    EXPECT_EQ(second.programs().at(0).insns, first.programs().at(0).insns);
}
