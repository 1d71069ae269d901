// Object cache, no privileges needed: keys, the entry format, corruption handling, atomic
// concurrent stores, the BTF digest file, stats/clear, DWARF stripping.
#include "cache/ElfTrim.h"
#include "cache/ObjectCache.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

using namespace jitprobe;
using namespace jitprobe::detail;
namespace fs = std::filesystem;

namespace {

// A fresh private directory under /tmp (sticky, so a trusted parent), removed afterwards.
class TempDir {
  public:
    TempDir() {
        char tmpl[] = "/tmp/jp_cache_test.XXXXXX";
        path_ = ::mkdtemp(tmpl); // mode 0700
    }
    ~TempDir() {
        std::error_code ec;
        fs::permissions(path_, fs::perms::owner_all, ec);
        fs::remove_all(path_, ec);
    }
    const std::string &path() const { return path_; }
    std::string cache() const { return path_ + "/cache"; }

  private:
    std::string path_;
};

CacheKeyInputs baseInputs() {
    return {"int x;", {"-DA=1", "-DB=2"}, "probe.c", "btfdigest", "frontend:1:2"};
}

CacheEntry sampleEntry() {
    CacheEntry e;
    e.elf = {0x7f, 'E', 'L', 'F', 1, 2, 3, 0, 0xff};
    e.info_json = R"({"maps":[],"programs":[]})";
    e.rewritten = "int rewritten;\n";
    return e;
}

std::string readFile(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void writeFile(const std::string &path, const std::string &bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

ObjectCache openOrDie(const std::string &dir) {
    Result<ObjectCache> cache = ObjectCache::open(dir);
    EXPECT_TRUE(cache.ok()) << cache.status().msg();
    return std::move(*cache);
}

} // namespace

TEST(RuntimeCacheKey, ChangesWithEveryInput) {
    std::set<std::string> keys{cacheKey(baseInputs())};
    EXPECT_EQ(cacheKey(baseInputs()), *keys.begin()) << "deterministic";
    EXPECT_EQ(keys.begin()->size(), 64u);
    auto vary = [&](auto change) {
        CacheKeyInputs in = baseInputs();
        change(in);
        return keys.insert(cacheKey(in)).second;
    };
    EXPECT_TRUE(vary([](CacheKeyInputs &in) { in.source += " "; }));
    EXPECT_TRUE(vary([](CacheKeyInputs &in) { in.cflags[0] = "-DA=2"; }));
    EXPECT_TRUE(vary([](CacheKeyInputs &in) { std::swap(in.cflags[0], in.cflags[1]); }));
    EXPECT_TRUE(vary([](CacheKeyInputs &in) { in.cflags = {"-DA=1-DB=2"}; }));
    EXPECT_TRUE(vary([](CacheKeyInputs &in) { in.cflags.push_back(""); }));
    EXPECT_TRUE(vary([](CacheKeyInputs &in) { in.btf_digest = "other kernel"; }));
    EXPECT_TRUE(vary([](CacheKeyInputs &in) { in.frontend_id = "frontend:1:3"; }));
    EXPECT_TRUE(vary([](CacheKeyInputs &in) { in.file_name = "other.c"; }));
    EXPECT_FALSE(vary([](CacheKeyInputs &in) { in.file_name = "/some/dir/probe.c"; }))
        << "only the base name reaches the object";
}

TEST(RuntimeCacheKey, UserHeadersAreNotCacheable) {
    EXPECT_EQ(uncacheableReason("#include <linux/sched.h>\nint x;", {"-DX=1"}), "");
    EXPECT_NE(uncacheableReason("int x;", {"-I/tmp/inc"}), "");
    EXPECT_NE(uncacheableReason("int x;", {"-include", "x.h"}), "");
    EXPECT_NE(uncacheableReason("# include \"mine.h\"\n", {}), "");
    EXPECT_NE(uncacheableReason("#include </abs/mine.h>\n", {}), "");
    EXPECT_NE(uncacheableReason("#include HEADER\n", {}), "");
    EXPECT_EQ(uncacheableReason("// we include nothing\nint include;\n", {}), "");
}

// Issue 19 item 5: every spelling the preprocessor accepts for a user include must make the
// source uncacheable (else an edited header would leave a stale object cached).
TEST(RuntimeCacheKey, EverySpellingOfAUserIncludeIsNotCacheable) {
    for (const char *source : {
             "%:include \"mine.h\"\n",
             "?\?=include \"mine.h\"\n",
             "#import \"mine.h\"\n",
             "#import <linux/sched.h>\n",
             "#embed \"data.bin\"\n",
             "#include_next <linux/sched.h>\n",
             "#\\\ninclude \"mine.h\"\n",
             "#inc\\\nlude \"mine.h\"\n",
             "# /*comment*/ include \"mine.h\"\n",
             "/* a\n comment */ #include \"mine.h\"\n",
             "const char *s = \"/*\";\n#include \"mine.h\"\n/* */\n",
             "#include /* c */ \"mine.h\"\n",
         })
        EXPECT_NE(uncacheableReason(source, {}), "") << source;
    EXPECT_EQ(uncacheableReason("/*\n#include \"mine.h\"\n*/ int x;\n", {}), "")
        << "commented out";
    EXPECT_EQ(uncacheableReason("const char *s = \"#include \\\"x.h\\\"\";\n", {}), "")
        << "inside a string";
}

TEST(RuntimeCacheEntry, RoundTripsAndBindsToItsKey) {
    CacheEntry in = sampleEntry();
    std::string bytes = encodeEntry("k1", in);
    auto out = decodeEntry("k1", bytes);
    ASSERT_TRUE(out.ok()) << out.status().msg();
    EXPECT_EQ(out->elf, in.elf);
    EXPECT_EQ(out->info_json, in.info_json);
    EXPECT_EQ(out->rewritten, in.rewritten);
    EXPECT_FALSE(decodeEntry("k2", bytes).ok()) << "an entry copied under another key";
}

TEST(RuntimeCacheEntry, EveryFlippedByteIsDetected) {
    std::string bytes = encodeEntry("k", sampleEntry());
    for (std::size_t i = 0; i < bytes.size(); i++) {
        std::string bad = bytes;
        bad[i] ^= 0x01;
        auto out = decodeEntry("k", bad);
        ASSERT_FALSE(out.ok()) << "byte " << i;
        EXPECT_FALSE(out.status().msg().empty());
    }
    for (std::size_t len = 0; len < bytes.size(); len++) {
        EXPECT_FALSE(decodeEntry("k", bytes.substr(0, len)).ok()) << "truncated to " << len;
    }
}

TEST(RuntimeObjectCache, StoreThenLookupHits) {
    TempDir tmp;
    ObjectCache cache = openOrDie(tmp.cache());
    CacheEntry out;
    std::string note;
    EXPECT_EQ(cache.lookup("abc", out, note), CacheLookup::Miss);
    ASSERT_TRUE(cache.store("abc", sampleEntry()).ok());
    ASSERT_EQ(cache.lookup("abc", out, note), CacheLookup::Hit) << note;
    EXPECT_EQ(out.rewritten, sampleEntry().rewritten);
    struct stat st {};
    ASSERT_EQ(::stat(cache.entryPath("abc").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    for (const char *sub : {"", "/objects", "/kernel-types"}) {
        ASSERT_EQ(::lstat((tmp.cache() + sub).c_str(), &st), 0) << sub;
        EXPECT_EQ(st.st_mode & 07777, 0700u) << sub;
    }
}

TEST(RuntimeObjectCache, TamperedEntryIsDeletedNotLoadedAndRebuilt) {
    TempDir tmp;
    ObjectCache cache = openOrDie(tmp.cache());
    ASSERT_TRUE(cache.store("key", sampleEntry()).ok());
    std::string path = cache.entryPath("key"), bytes = readFile(path);
    bytes[bytes.size() - 3] ^= 0x40; // inside the payload
    writeFile(path, bytes);
    CacheEntry out;
    std::string note;
    EXPECT_EQ(cache.lookup("key", out, note), CacheLookup::Corrupt);
    EXPECT_NE(note.find("SHA-256 mismatch"), std::string::npos) << note;
    EXPECT_NE(note.find(path), std::string::npos) << "names the entry: " << note;
    EXPECT_TRUE(out.elf.empty() && out.rewritten.empty()) << "nothing of it is returned";
    EXPECT_FALSE(fs::exists(path)) << "deleted";
    ASSERT_TRUE(cache.store("key", sampleEntry()).ok()); // what BPF::init does next
    EXPECT_EQ(cache.lookup("key", out, note), CacheLookup::Hit);
}

TEST(RuntimeObjectCache, TruncatedOrForeignModeEntryIsCorrupt) {
    TempDir tmp;
    ObjectCache cache = openOrDie(tmp.cache());
    CacheEntry out;
    std::string note, path = cache.entryPath("t");
    ASSERT_TRUE(cache.store("t", sampleEntry()).ok());
    std::string bytes = readFile(path);
    writeFile(path, bytes.substr(0, bytes.size() / 2));
    EXPECT_EQ(cache.lookup("t", out, note), CacheLookup::Corrupt);
    EXPECT_NE(note.find("truncated"), std::string::npos) << note;

    ASSERT_TRUE(cache.store("t", sampleEntry()).ok());
    ASSERT_EQ(::chmod(path.c_str(), 0644), 0); // a file others could have written: not ours
    EXPECT_EQ(cache.lookup("t", out, note), CacheLookup::Corrupt);
    EXPECT_NE(note.find("mode 0644"), std::string::npos) << note;
}

TEST(RuntimeObjectCache, ConcurrentWritersLeaveOneValidEntry) {
    TempDir tmp;
    { ObjectCache warm = openOrDie(tmp.cache()); }
    CacheEntry big = sampleEntry();
    big.elf.resize(256 * 1024, 0xab); // large enough for the writes to interleave
    std::vector<pid_t> children;
    for (int c = 0; c < 4; c++) {
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            Result<ObjectCache> cache = ObjectCache::open(tmp.cache());
            bool ok = cache.ok();
            for (int i = 0; ok && i < 20; i++)
                ok = cache->store("same", big).ok();
            ::_exit(ok ? 0 : 1);
        }
        children.push_back(pid);
    }
    for (pid_t pid : children) {
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    ObjectCache cache = openOrDie(tmp.cache());
    CacheEntry out;
    std::string note;
    ASSERT_EQ(cache.lookup("same", out, note), CacheLookup::Hit) << note;
    EXPECT_EQ(out.elf, big.elf);
    std::vector<std::string> names;
    for (const auto &e : fs::directory_iterator(tmp.cache() + "/objects"))
        names.push_back(e.path().filename());
    EXPECT_EQ(names, std::vector<std::string>{"same.entry"}) << "no temp files left behind";
}

TEST(RuntimeObjectCache, BtfDigestIsRememberedUntilTheFileChanges) {
    TempDir tmp;
    ObjectCache cache = openOrDie(tmp.cache());
    std::string btf = tmp.path() + "/vmlinux";
    writeFile(btf, "fake btf v1");
    Result<std::string> d1 = cache.kernelBtfDigest(btf);
    ASSERT_TRUE(d1.ok()) << d1.status().msg();
    EXPECT_EQ(*d1, "92f73a3a0d0cb73b6bc27f4c8387ee8174860b38a4be0227d3ecf19ba9f8011f"); // sha256sum
    // The memo lives in kernel-types/ (per-kernel state beside the PCH): alter its digest and
    // the altered one is served, proving no rehash happened.
    std::vector<fs::path> memos;
    for (const auto &e : fs::directory_iterator(tmp.cache() + "/kernel-types"))
        if (e.path().extension() == ".digest")
            memos.push_back(e.path());
    ASSERT_EQ(memos.size(), 1u);
    std::string memo = readFile(memos[0]);
    ASSERT_GT(memo.size(), 65u);
    std::string altered(64, 'f');
    writeFile(memos[0], memo.substr(0, memo.size() - 65) + altered + "\n");
    EXPECT_EQ(*cache.kernelBtfDigest(btf), altered) << "served from the digest file";
    writeFile(btf, "fake btf version 2"); // size (and mtime) change
    EXPECT_EQ(*cache.kernelBtfDigest(btf),
              "bb24d49140dd44df83ef6620f12ace4293af6898a94290ad3d1a2ae234eb4506");
    EXPECT_FALSE(cache.kernelBtfDigest(tmp.path() + "/missing").ok());
}

TEST(RuntimeObjectCache, StatsAndClear) {
    TempDir tmp;
    ObjectCache cache = openOrDie(tmp.cache());
    ASSERT_TRUE(cache.store("a", sampleEntry()).ok());
    ASSERT_TRUE(cache.store("b", sampleEntry()).ok());
    writeFile(tmp.cache() + "/kernel-types/k.pch", "pch");
    fs::create_directory(tmp.cache() + "/kernel-types/k.d"); // vmlinux.h in parts
    writeFile(tmp.cache() + "/kernel-types/k.d/vmlinux.h", "top");
    writeFile(tmp.cache() + "/kernel-types/k.d/part-000.h", "part");
    CacheStats s = cache.stats();
    EXPECT_EQ(s.directory, tmp.cache());
    EXPECT_EQ(s.entries, 2u);
    EXPECT_EQ(s.bytes, 2 * encodeEntry("a", sampleEntry()).size());
    EXPECT_EQ(s.pch_files, 3u);
    EXPECT_EQ(s.pch_bytes, 10u);
    CacheStats removed = cache.clear();
    EXPECT_EQ(removed.entries, 2u);
    EXPECT_EQ(removed.pch_files, 3u);
    EXPECT_EQ(cache.stats().entries, 0u);
    EXPECT_EQ(cache.stats().pch_files, 0u);
    EXPECT_FALSE(fs::exists(tmp.cache() + "/kernel-types/k.d")) << "emptied and removed";
    Result<CacheStats> pub = cache_stats(tmp.cache()); // the public API
    ASSERT_TRUE(pub.ok()) << pub.status().msg();
    EXPECT_EQ(pub->entries, 0u);
}

TEST(RuntimeObjectCache, PrunesLeastRecentlyUsedBeyondTheLimit) {
    TempDir tmp;
    ObjectCache cache = openOrDie(tmp.cache());
    for (std::size_t i = 0; i <= kMaxCacheEntries; i++)
        ASSERT_TRUE(cache.store("e" + std::to_string(i), sampleEntry()).ok());
    EXPECT_LE(cache.stats().entries, kMaxCacheEntries);
    EXPECT_GE(cache.stats().entries, kMaxCacheEntries / 2);
    CacheEntry out;
    std::string note;
    EXPECT_EQ(cache.lookup("e" + std::to_string(kMaxCacheEntries), out, note), CacheLookup::Hit)
        << "the newest entry survives";
}

TEST(RuntimeCacheElf, StripsDebugSectionsOnly) {
    // An object of this build with DWARF in it (RelWithDebInfo): ElfTrim's own.
    std::string object =
        JITPROBE_BINARY_DIR "/runtime/CMakeFiles/jitprobe_rt_cache.dir/src/cache/ElfTrim.cpp.o";
    ASSERT_TRUE(fs::exists(object)) << object;
    std::string bytes = readFile(object);
    std::vector<std::uint8_t> in(bytes.begin(), bytes.end());
    auto stripped = stripDebugSections(in);
    ASSERT_TRUE(stripped.ok()) << stripped.status().msg();
    const std::vector<std::uint8_t> &out = stripped.value();
    EXPECT_LT(out.size(), in.size());
    std::string path = ::testing::TempDir() + "/jp_stripped.o";
    writeFile(path, std::string(out.begin(), out.end()));
    std::string cmd = "readelf -S -W " + path + " 2>&1";
    FILE *p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string listing;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p))
        listing.append(buf, n);
    ::pclose(p);
    EXPECT_EQ(listing.find(".debug_"), std::string::npos) << listing;
    EXPECT_NE(listing.find(".text"), std::string::npos) << listing;
    EXPECT_EQ(listing.find("Warning"), std::string::npos) << listing;
    EXPECT_EQ(listing.find("Error"), std::string::npos) << listing;
    auto junk = stripDebugSections({1, 2, 3});
    ASSERT_FALSE(junk.ok());
    EXPECT_EQ(junk.status().code(), ENOEXEC);
}

namespace {

void setAge(const std::string &path, long seconds) {
    timespec times[2];
    ::clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= seconds;
    times[1] = times[0];
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

long peakRssMiB() {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmHWM:", 0) == 0)
            return std::atol(line.c_str() + 6) / 1024;
    return -1;
}

} // namespace

TEST(RuntimeObjectCache, AHugeEntryIsDeletedUnreadAndRebuilt) {
    TempDir tmp;
    ObjectCache cache = openOrDie(tmp.cache());
    std::string path = cache.entryPath("huge");
    writeFile(path, "");
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    fs::resize_file(path, std::uintmax_t(3) << 30); // sparse: 3 GiB that cost no disk
    std::ofstream("/proc/self/clear_refs") << "5";  // peak RSS from here
    CacheEntry out;
    std::string note;
    EXPECT_EQ(cache.lookup("huge", out, note), CacheLookup::Corrupt);
    EXPECT_NE(note.find("3221225472 bytes, over the"), std::string::npos) << note;
    EXPECT_FALSE(fs::exists(path)) << "deleted";
    EXPECT_LT(peakRssMiB(), 100) << "the entry was read before its size was checked";
    ASSERT_TRUE(cache.store("huge", sampleEntry()).ok());
    EXPECT_EQ(cache.lookup("huge", out, note), CacheLookup::Hit) << note;
}

TEST(RuntimeObjectCache, AnEntryOverTheCapIsNotStored) {
    TempDir tmp;
    ObjectCache cache = openOrDie(tmp.cache());
    CacheEntry big = sampleEntry();
    big.elf.resize(kMaxCacheEntrySize + 1);
    Status s = cache.store("big", big);
    EXPECT_EQ(s.code(), EFBIG) << s.msg();
    EXPECT_FALSE(fs::exists(cache.entryPath("big")));
}

TEST(RuntimeObjectCache, StaleTempFilesAndUnusedPchsArePruned) {
    TempDir tmp;
    ObjectCache cache = openOrDie(tmp.cache());
    std::string objects = tmp.cache() + "/objects/", kt = tmp.cache() + "/kernel-types/";
    auto file = [](const std::string &path, long age) {
        writeFile(path, "x");
        setAge(path, age);
    };
    auto dir = [](const std::string &path, long age) {
        fs::create_directory(path);
        writeFile(path + "/vmlinux.h", "x");
        setAge(path, age);
    };
    file(objects + ".tmp.1.2", kStaleTempSeconds + 60); // an interrupted store
    file(objects + ".tmp.3.4", 5);                      // a store in progress
    file(kt + "old.pch", kStalePchSeconds + 60);        // another kernel's, unused
    dir(kt + "old.d", kStalePchSeconds + 60);
    file(kt + "cur.pch", 60);
    dir(kt + "cur.d", kStalePchSeconds + 60);            // its parts are old, the PCH is used
    file(kt + "cur.pch.tmp.99", kStaleTempSeconds + 60); // an interrupted PCH build
    dir(kt + "new.d.tmp.99", kStaleTempSeconds + 60);
    dir(kt + "orphan.d", kStaleTempSeconds + 60); // its PCH never got built
    (void)cache.stats();
    for (const char *gone :
         {"objects/.tmp.1.2", "kernel-types/old.pch", "kernel-types/old.d",
          "kernel-types/cur.pch.tmp.99", "kernel-types/new.d.tmp.99", "kernel-types/orphan.d"})
        EXPECT_FALSE(fs::exists(tmp.cache() + "/" + gone)) << gone;
    for (const char *kept : {"objects/.tmp.3.4", "kernel-types/cur.pch", "kernel-types/cur.d"})
        EXPECT_TRUE(fs::exists(tmp.cache() + "/" + kept)) << kept;

    file(objects + ".tmp.5.6", kStaleTempSeconds + 60);
    ASSERT_TRUE(cache.store("k", sampleEntry()).ok());
    EXPECT_FALSE(fs::exists(objects + ".tmp.5.6")) << "a store prunes too";
}
