// The cache directory as a security boundary: only real 0700 directories owned by this user,
// under parents nobody else may change. Everything else is refused with a reason.
#include "cache/ObjectCache.h"
#include "compiler/CompilerProcess.h"

#include "ScopedEnv.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace jitprobe;
using namespace jitprobe::detail;
namespace fs = std::filesystem;

using jitprobe::testing::ScopedEnv;

namespace {

class TempDir {
  public:
    TempDir() {
        char tmpl[] = "/tmp/jp_cache_dir_test.XXXXXX";
        path_ = ::mkdtemp(tmpl);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const std::string &path() const { return path_; }

  private:
    std::string path_;
};

std::string refusal(const std::string &dir) {
    Result<ObjectCache> cache = ObjectCache::open(dir);
    return cache.ok() ? "" : cache.status().msg();
}

} // namespace

TEST(RuntimeCacheDir, CreatesMissingDirectoriesPrivate) {
    TempDir tmp;
    std::string dir = tmp.path() + "/a/b/jitprobe";
    ::umask(022);
    EXPECT_EQ(refusal(dir), "");
    struct stat st {};
    ASSERT_EQ(::lstat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    EXPECT_EQ(st.st_uid, ::geteuid());
}

TEST(RuntimeCacheDir, RefusesWorldWritable) {
    TempDir tmp;
    std::string dir = tmp.path() + "/cache";
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
    std::string why = refusal(dir);
    EXPECT_NE(why.find("mode 0777"), std::string::npos) << why;
    EXPECT_NE(why.find("writable by other users"), std::string::npos) << why;
    EXPECT_NE(why.find(dir), std::string::npos) << why;
    ASSERT_EQ(::chmod(dir.c_str(), 0755), 0); // readable by others is refused too
    EXPECT_NE(refusal(dir).find("expected 0700"), std::string::npos);
    ASSERT_EQ(::chmod(dir.c_str(), 0700), 0);
    EXPECT_EQ(refusal(dir), "");
}

TEST(RuntimeCacheDir, RefusesAWritableSubdirectory) {
    TempDir tmp;
    std::string dir = tmp.path() + "/cache";
    ASSERT_EQ(refusal(dir), "");
    ASSERT_EQ(::chmod((dir + "/objects").c_str(), 0777), 0);
    EXPECT_NE(refusal(dir).find(dir + "/objects"), std::string::npos);
}

TEST(RuntimeCacheDir, RefusesForeignOwner) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "chown to nobody needs root";
    const passwd *nobody = ::getpwnam("nobody");
    if (!nobody)
        GTEST_SKIP() << "no user 'nobody'";
    TempDir tmp;
    std::string dir = tmp.path() + "/cache";
    ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(::chown(dir.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
    std::string why = refusal(dir);
    EXPECT_NE(why.find("owned by uid " + std::to_string(nobody->pw_uid)), std::string::npos) << why;
}

TEST(RuntimeCacheDir, RefusesSymlink) {
    TempDir tmp;
    std::string real = tmp.path() + "/real", link = tmp.path() + "/link";
    ASSERT_EQ(::mkdir(real.c_str(), 0700), 0);
    ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
    std::string why = refusal(link);
    EXPECT_NE(why.find("is a symlink"), std::string::npos) << why;
    EXPECT_EQ(refusal(link + "/"), why) << "a trailing slash does not follow it either";
}

TEST(RuntimeCacheDir, RefusesAParentOthersMayWrite) {
    TempDir tmp;
    std::string shared = tmp.path() + "/shared";
    ASSERT_EQ(::mkdir(shared.c_str(), 0700), 0);
    ASSERT_EQ(::chmod(shared.c_str(), 0777), 0); // not sticky: others could swap our dir
    std::string why = refusal(shared + "/cache");
    EXPECT_NE(why.find("parent " + shared), std::string::npos) << why;
    ASSERT_EQ(::chmod(shared.c_str(), 01777), 0); // sticky like /tmp: fine
    EXPECT_EQ(refusal(shared + "/cache"), "");
}

TEST(RuntimeCacheDir, RefusesRelativePaths) {
    EXPECT_NE(refusal("relative/cache").find("not an absolute path"), std::string::npos);
}

TEST(RuntimeCacheDir, DefaultLocation) {
    ScopedEnv env("JITPROBE_CACHE_DIR", "/x/override");
    EXPECT_EQ(defaultCacheDirectory(), "/x/override");
    EXPECT_EQ(cache_directory("/explicit"), "/explicit");
    ScopedEnv unset("JITPROBE_CACHE_DIR", nullptr);
    ScopedEnv xdg("XDG_CACHE_HOME", "/x/xdg");
    ScopedEnv home("HOME", "/x/home");
    EXPECT_EQ(defaultCacheDirectory(),
              ::geteuid() == 0 ? "/var/cache/jitprobe" : "/x/xdg/jitprobe");
    ScopedEnv relative("XDG_CACHE_HOME", "not/absolute");
    EXPECT_EQ(defaultCacheDirectory(),
              ::geteuid() == 0 ? "/var/cache/jitprobe" : "/x/home/.cache/jitprobe");
}

// Issue 19 item 6: another user plants a symlink in a sticky directory (like /tmp) on the way to
// root's cache directory, pointing it somewhere root may write (/etc, say). The walk from / never
// follows it: the cache is refused and nothing is created behind the link.
TEST(RuntimeCacheDir, AnAncestorSymlinkPlantedByAnotherUserIsNotFollowed) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root (chown to another uid)";
    const passwd *nobody = ::getpwnam("nobody");
    uid_t other = nobody ? nobody->pw_uid : 65534;
    TempDir sticky, target;
    ASSERT_EQ(::chmod(sticky.path().c_str(), 01777), 0);
    std::string link = sticky.path() + "/shared";
    ASSERT_EQ(::symlink(target.path().c_str(), link.c_str()), 0);
    ASSERT_EQ(::lchown(link.c_str(), other, other), 0);
    std::string why = refusal(link + "/jitprobe");
    EXPECT_NE(why.find(link + " is a symlink"), std::string::npos) << why;
    EXPECT_FALSE(fs::exists(target.path() + "/jitprobe")) << "created through the symlink";
    EXPECT_NE(refusal(link + "/a/../jitprobe"), "") << "'..' after a symlink: refused too";
}

// The directory the compiler is given is the one the runtime opened and checked: an inherited
// descriptor named /proc/self/fd/N, not the path string (which could be flipped meanwhile).
TEST(RuntimeCacheDir, TheCompilerGetsTheOpenDirectoryNotItsPath) {
    TempDir tmp;
    Result<ObjectCache> cache = ObjectCache::open(tmp.path() + "/cache");
    ASSERT_TRUE(cache.ok()) << cache.status().msg();
    std::string out = tmp.path() + "/seen", compiler = tmp.path() + "/fake-compiler";
    {
        std::ofstream script(compiler);
        script << "#!/bin/sh\nreadlink /proc/$$/fd/3 > " << out << "\ncat > " << out
               << ".request\nexit 1\n";
    }
    ::chmod(compiler.c_str(), 0755);
    ScopedEnv env("JITPROBE_COMPILER", compiler.c_str());
    frontend::CompileOptions options;
    options.file_name = "probe.c";
    frontend::CompileResult result;
    CompileLimits limits;
    limits.cache_dir_fd = cache->directoryFd();
    (void)compileInChildProcess("int x;\n", options, result, limits);
    std::ifstream seen(out), request(out + ".request");
    std::string fd_target((std::istreambuf_iterator<char>(seen)), {});
    std::string sent((std::istreambuf_iterator<char>(request)), {});
    EXPECT_EQ(fd_target, tmp.path() + "/cache\n");
    EXPECT_NE(sent.find("/proc/self/fd/3"), std::string::npos) << sent;
    EXPECT_EQ(sent.find(tmp.path() + "/cache"), std::string::npos) << sent;
}
