// Without CAP_BPF / CAP_PERFMON (and CAP_SYS_ADMIN) the CLI names the missing capability.
// The child drops them from its bounding set before exec, so even root runs without them.
#include "LiveSupport.h"
#include "ProcessRunner.h"

#include <sys/prctl.h>

#include <filesystem>
#include <fstream>

using namespace jitprobe::testing;

namespace {

constexpr int kCapSysAdmin = 21, kCapPerfmon = 38, kCapBpf = 39;

std::string probeFile() {
    std::string path = ::testing::TempDir() + "jp_caps_probe.c";
    std::ofstream(path) << "BPF_ARRAY(c, u64, 1);\n"
                           "TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { c.increment(0); return 0; }\n";
    return path;
}

ProcessResult checkWithout(std::vector<int> caps) {
    ProcessOptions o;
    o.timeout_s = 120;
    o.child_setup = [caps] {
        for (int cap : caps)
            if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
                ::_exit(99);
    };
    return runProcess({cliPath(), "check", probeFile()}, o);
}

class Privileges : public ::testing::Test {
  protected:
    void SetUp() override {
        JP_REQUIRE_BPF_PRIVILEGES();
        if (::geteuid() != 0)
            GTEST_SKIP() << "dropping capabilities through the bounding set needs root";
        if (!std::filesystem::exists(cliPath()))
            GTEST_SKIP() << cliPath() << " not built";
    }
};

} // namespace

TEST_F(Privileges, WithAllCapabilitiesCheckPasses) {
    ProcessResult r = checkWithout({});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output.find("missing capability"), std::string::npos) << r.output;
}

TEST_F(Privileges, WithoutBpfAndPerfmonTheMessageNamesThem) {
    ProcessResult r = checkWithout({kCapBpf, kCapPerfmon, kCapSysAdmin});
    ASSERT_TRUE(r.exited()) << "signal " << r.signal << "\n" << r.output;
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("missing capability CAP_BPF, CAP_PERFMON"), std::string::npos) << r.output;
}

TEST_F(Privileges, WithoutPerfmonOnlyTheMessageNamesIt) {
    // CAP_BPF alone loads maps but not tracing programs.
    ProcessResult r = checkWithout({kCapPerfmon, kCapSysAdmin});
    ASSERT_TRUE(r.exited()) << r.output;
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("missing capability CAP_PERFMON"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("CAP_BPF,"), std::string::npos) << r.output;
}
