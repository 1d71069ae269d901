// The kernel-type PCH cache against tampering (issue 19 item 4): every attack must end in a
// rebuilt PCH and a correct compile, never in tampered text compiled in or a write through a
// planted symlink.
#include "jitprobe/frontend/Frontend.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace jitprobe::frontend;
namespace fs = std::filesystem;

namespace {

const char *kSource = R"(#include <linux/sched.h>
int kprobe__do_nanosleep(struct pt_regs *ctx) {
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    bpf_trace_printk("%d\n", t->pid);
    return 0;
}
)";

std::string readFile(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

class KernelTypeCacheTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/jp-kt-cache.XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        root_ = tmpl;
        options_.file_name = "probe.c";
        options_.cache_dir = root_ + "/cache";
        if (::access("/sys/kernel/tracing/events", F_OK) != 0)
            ::mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr);
        first_ = compile(kSource, options_);
        ASSERT_TRUE(first_.ok) << formatDiagnostics(first_.diagnostics);
        for (const auto &e : fs::directory_iterator(types()))
            if (e.path().extension() == ".pch")
                stem_ = types() + "/" + e.path().stem().string();
        ASSERT_FALSE(stem_.empty()) << "a PCH was built";
        ASSERT_TRUE(fs::exists(stem_ + ".manifest"));
    }
    void TearDown() override { fs::remove_all(root_); }
    std::string types() const { return options_.cache_dir + "/kernel-types"; }
    // Compiles again: must succeed with the same object as before the attack.
    void expectCleanCompile() {
        CompileResult again = compile(kSource, options_);
        ASSERT_TRUE(again.ok) << formatDiagnostics(again.diagnostics);
        EXPECT_EQ(again.object, first_.object);
        EXPECT_EQ(formatDiagnostics(again.diagnostics).find("tampered"), std::string::npos);
    }

    std::string root_, stem_;
    CompileOptions options_;
    CompileResult first_;
};

} // namespace

TEST_F(KernelTypeCacheTest, ALineAppendedToAPartIsRebuiltNotCompiledIn) {
    std::string part = stem_ + ".d/part-000.h";
    std::string original = readFile(part);
    std::ofstream(part, std::ios::app) << "#error tampered\nstruct tampered { int x; };\n";
    expectCleanCompile();
    EXPECT_EQ(readFile(part), original) << "the part was rebuilt from the kernel BTF";
}

TEST_F(KernelTypeCacheTest, APartReplacedBySymlinkIsRebuilt) {
    std::string part = stem_ + ".d/part-001.h", elsewhere = root_ + "/part-copy.h";
    fs::copy_file(part, elsewhere);
    std::ofstream(elsewhere, std::ios::app) << "#error tampered\n";
    fs::remove(part);
    ASSERT_EQ(::symlink(elsewhere.c_str(), part.c_str()), 0);
    expectCleanCompile();
    EXPECT_FALSE(fs::is_symlink(part));
}

TEST_F(KernelTypeCacheTest, AGarbagePchIsRebuiltAndTheCompileSucceeds) {
    std::string pch = stem_ + ".pch";
    { std::ofstream(pch, std::ios::trunc) << "garbage, not a PCH"; }
    expectCleanCompile();
    EXPECT_GT(fs::file_size(pch), 1000u) << "rebuilt";
}

// The compiler's temp files used to be NAME.tmp.<pid>: a symlink planted there was written
// through. Now they are created with O_EXCL under unpredictable names.
TEST_F(KernelTypeCacheTest, SymlinksAtTheOldTempNamesAreNotFollowed) {
    std::string victim = root_ + "/victim";
    std::ofstream(victim) << "precious\n";
    std::string pid = std::to_string(::getpid());
    for (const std::string &name : {types() + "/btf.digest", stem_ + ".pch"}) {
        fs::remove(name);
        ASSERT_EQ(::symlink(victim.c_str(), (name + ".tmp." + pid).c_str()), 0);
    }
    expectCleanCompile();
    EXPECT_EQ(readFile(victim), "precious\n");
    EXPECT_TRUE(fs::is_regular_file(types() + "/btf.digest"));
}

// A passed check is remembered by the files' identities (issue 18: no re-hash per compile).
// A part rewritten in place with the same size and its old mtime put back still differs: its
// ctime moved, and the full check runs again and rebuilds it.
TEST_F(KernelTypeCacheTest, ARememberedCheckStillSeesAPartRewrittenWithItsOldTimes) {
    expectCleanCompile();
    ASSERT_TRUE(fs::exists(stem_ + ".verified")) << "a passed check is remembered";
    EXPECT_NE(readFile(stem_ + ".verified").find(".pch "), std::string::npos);
    std::string part = stem_ + ".d/part-000.h", original = readFile(part);
    struct stat before {};
    ASSERT_EQ(::stat(part.c_str(), &before), 0);
    std::string tampered = original;
    std::string evil = "#error tampered\n";
    ASSERT_GT(tampered.size(), evil.size());
    tampered.replace(0, evil.size(), evil);
    { std::ofstream(part, std::ios::binary | std::ios::trunc) << tampered; }
    struct timespec times[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, part.c_str(), times, 0), 0);
    expectCleanCompile();
    EXPECT_EQ(readFile(part), original) << "the part was rebuilt from the kernel BTF";
}
