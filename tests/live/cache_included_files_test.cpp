// Issue 19 item 5: an object that read a user header is never served from the cache once that
// header changes, however the #include was spelled (%:include, #import, a line splice, a
// comment inside the directive) or whichever flag pulled it in (-imacros, which no text scan of
// the source sees). The compiler reports the files it opened; the runtime stores no entry for
// a compile that read one.
#include "LiveSupport.h"

#include "jitprobe/BPF.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace jitprobe;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("jp-incl-" + std::to_string(::getpid()));
        fs::remove_all(path);
        fs::create_directories(path / "cache");
        fs::permissions(path / "cache", fs::perms::owner_all, fs::perm_options::replace);
    }
    ~TempDir() { fs::remove_all(path); }
};

const char *kBody = "\nBPF_ARRAY(vals, u64, 1);\n"
                    "TRACEPOINT_PROBE(syscalls, sys_enter_getpid) {\n"
                    "    int k = 0; u64 v = VALUE; vals.update(&k, &v); return 0;\n}\n";

// Loads SOURCE (cached in DIR/cache), calls getpid, returns what the probe stored.
uint64_t runOnce(const TempDir &dir, const std::string &source, std::vector<std::string> cflags,
                 bool &cache_hit) {
    BPF bpf;
    InitOptions opts;
    opts.cache_dir = (dir.path / "cache").string();
    opts.file_name = "incl.c";
    Status s = bpf.init(source, cflags, opts);
    EXPECT_TRUE(s.ok()) << s.msg();
    if (!s.ok())
        return 0;
    cache_hit = bpf.phase_times().cache_hit;
    EXPECT_TRUE(bpf.attach_all().ok());
    ::syscall(SYS_getpid);
    uint64_t v = 0;
    EXPECT_TRUE(bpf.get_array_table<uint64_t>("vals").get_value(0, v).ok());
    return v;
}

void writeHeader(const TempDir &dir, int value) {
    std::ofstream(dir.path / "h.h") << "#define VALUE " << value << "\n";
}

} // namespace

TEST(CacheIncludedFiles, ChangedHeaderRunsTheNewObject) {
    JP_REQUIRE_BPF_PRIVILEGES();
    TempDir dir;
    std::string h = (dir.path / "h.h").string();
    const std::pair<std::string, std::vector<std::string>> cases[] = {
        {"%:include \"" + h + "\"", {}},
        {"#import \"" + h + "\"", {}},
        {"#\\\ninclude \"" + h + "\"", {}},
        {"# /*c*/ include \"" + h + "\"", {}},
        {"/* -imacros */", {"-imacros", h}},
    };
    for (const auto &[directive, cflags] : cases) {
        std::string source = directive + kBody;
        bool hit = false;
        writeHeader(dir, 1);
        EXPECT_EQ(runOnce(dir, source, cflags, hit), 1u) << directive;
        writeHeader(dir, 2);
        EXPECT_EQ(runOnce(dir, source, cflags, hit), 2u) << directive << ": the old object ran";
        EXPECT_FALSE(hit) << directive;
    }
}

TEST(CacheIncludedFiles, SourceWithoutUserFilesIsStillCached) {
    JP_REQUIRE_BPF_PRIVILEGES();
    TempDir dir;
    std::string source = std::string("#define VALUE 7\n#include <linux/sched.h>") + kBody;
    bool hit = true;
    EXPECT_EQ(runOnce(dir, source, {}, hit), 7u);
    EXPECT_FALSE(hit);
    EXPECT_EQ(runOnce(dir, source, {}, hit), 7u);
    EXPECT_TRUE(hit) << "embedded headers are part of jitprobe's version, not user files";
}

// Issue 19 item 4's remainder: the PCH an object was compiled with is part of what a cache hit
// requires. Here the manifest says the PCH in the cache is another one (as after a tampered PCH
// was found and rebuilt): the cached object, possibly built from the bad one, is not served.
TEST(CacheIncludedFiles, ObjectIsServedOnlyWithItsOwnPch) {
    JP_REQUIRE_BPF_PRIVILEGES();
    TempDir dir;
    std::string source = std::string("#define VALUE 5\n") + kBody;
    bool hit = true;
    EXPECT_EQ(runOnce(dir, source, {}, hit), 5u);
    EXPECT_EQ(runOnce(dir, source, {}, hit), 5u);
    ASSERT_TRUE(hit);
    int changed = 0;
    for (const auto &e : fs::directory_iterator(dir.path / "cache" / "kernel-types")) {
        if (e.path().extension() != ".manifest")
            continue;
        std::ifstream in(e.path());
        std::string text((std::istreambuf_iterator<char>(in)), {}), out, line;
        std::istringstream lines(text);
        while (std::getline(lines, line)) {
            if (line.ends_with(".pch") && line.size() > 64) {
                line.replace(0, 64, std::string(64, '0'));
                ++changed;
            }
            out += line + "\n";
        }
        std::ofstream(e.path(), std::ios::trunc) << out;
    }
    ASSERT_EQ(changed, 1) << "one PCH in the test cache";
    EXPECT_EQ(runOnce(dir, source, {}, hit), 5u);
    EXPECT_FALSE(hit) << "an object of another PCH was served";
    EXPECT_EQ(runOnce(dir, source, {}, hit), 5u);
    EXPECT_TRUE(hit) << "the recompiled object is cached with the rebuilt PCH";
}
