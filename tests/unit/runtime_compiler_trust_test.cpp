// As root, a compiler anyone but root could have written is refused, not run (issue 19):
// JITPROBE_COMPILER=/home/alice/evilcc must not execute with uid 0.
#include "compiler/CompilerLocator.h"
#include "compiler/CompilerProcess.h"

#include "ScopedEnv.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace jitprobe;
using namespace jitprobe::detail;
namespace fs = std::filesystem;

using jitprobe::testing::ScopedEnv;
using jitprobe::testing::fakeCompiler;

namespace {

// A private directory under /tmp (sticky, owned by root: a trusted parent) holding a fake
// compiler that, if ever run, leaves a marker file.
class RuntimeCompilerTrust : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0)
            GTEST_SKIP() << "the compiler trust checks apply to root only";
        char tmpl[] = "/tmp/jp_trust.XXXXXX";
        dir_ = ::mkdtemp(tmpl);
        marker_ = dir_ + "/ran";
        compiler_ = dir_ + "/evilcc";
        std::ofstream(compiler_) << "#!/bin/sh\ntouch " << marker_ << "\nexit 1\n";
        ::chmod(compiler_.c_str(), 0755);
        ::chmod(dir_.c_str(), 0755);
    }
    void TearDown() override {
        if (!dir_.empty())
            fs::remove_all(dir_);
    }
    Status compile() {
        ScopedEnv env("JITPROBE_COMPILER", compiler_);
        frontend::CompileOptions options;
        options.file_name = "p.c";
        frontend::CompileResult result;
        return compileInChildProcess("int x;\n", options, result);
    }
    std::string dir_, marker_, compiler_;
};

} // namespace

TEST_F(RuntimeCompilerTrust, ATrustedCompilerRuns) {
    Status s = compile();
    EXPECT_NE(s.msg().find("failed (exit status 1)"), std::string::npos) << s.msg();
    EXPECT_TRUE(fs::exists(marker_));
}

TEST_F(RuntimeCompilerTrust, AWorldWritableDirectoryIsRefused) {
    ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
    Status s = compile();
    EXPECT_EQ(s.code(), EPERM);
    EXPECT_NE(s.msg().find("refusing to run the probe compiler " + compiler_ + " as root: " + dir_ +
                           " is writable by group or others (mode 0777)"),
              std::string::npos)
        << s.msg();
    EXPECT_FALSE(fs::exists(marker_)) << "it ran";
}

TEST_F(RuntimeCompilerTrust, ACompilerOwnedByAnotherUserIsRefused) {
    ASSERT_EQ(::chown(compiler_.c_str(), 65534, 65534), 0);
    Status s = compile();
    EXPECT_EQ(s.code(), EPERM);
    EXPECT_NE(s.msg().find(compiler_ + " is owned by uid 65534, not root"), std::string::npos)
        << s.msg();
    EXPECT_FALSE(fs::exists(marker_)) << "it ran";
}

TEST_F(RuntimeCompilerTrust, AGroupWritableCompilerIsRefused) {
    ASSERT_EQ(::chmod(compiler_.c_str(), 0775), 0);
    Status s = compile();
    EXPECT_EQ(s.code(), EPERM);
    EXPECT_NE(s.msg().find(compiler_ + " is writable by group or others (mode 0775)"),
              std::string::npos)
        << s.msg();
    EXPECT_FALSE(fs::exists(marker_)) << "it ran";
}

TEST_F(RuntimeCompilerTrust, ASymlinkIsJudgedByWhatItResolvesTo) {
    std::string other = dir_ + "/open";
    ASSERT_EQ(::mkdir(other.c_str(), 0777), 0);
    ASSERT_EQ(::chmod(other.c_str(), 0777), 0);
    std::string link = other + "/cc";
    fs::create_symlink(compiler_, link); // a link in a shared directory, to a trusted file
    Result<std::string> r = CompilerLocator::checkTrusted(link);
    ASSERT_TRUE(r.ok()) << r.status().msg();
    EXPECT_EQ(*r, compiler_) << "the resolved path is what runs";
    ASSERT_EQ(::chown(dir_.c_str(), 65534, 65534), 0);
    r = CompilerLocator::checkTrusted(link);
    EXPECT_NE(r.status().msg().find(dir_ + " is owned by uid 65534, not root"), std::string::npos)
        << r.status().msg();
}
