// jitprobe/Features.h and `jitprobe info`: what the attach probes report matches what `run` and
// `check` do with real probes on this kernel (kprobes missing and fentry refused on the
// development host; attached on a kernel that has them).
#include "DialectSupport.h"
#include "LiveSupport.h"
#include "jitprobe/Features.h"

#include <gtest/gtest.h>

#include <bpf/libbpf.h>
#include <net/if.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

namespace {

using jitprobe::testing::dialect::CliRun;
using jitprobe::testing::dialect::runCli;

std::string writeProbe(const std::string &name, const std::string &text) {
    std::string path = ::testing::TempDir() + "/jp_info_" + name + ".c";
    std::ofstream(path) << text;
    return path;
}

const jitprobe::Feature &attachType(const jitprobe::SystemFeatures &s, const std::string &name) {
    const jitprobe::Feature *f = jitprobe::find_feature(s.attach_types, name);
    if (!f)
        throw std::runtime_error("no attach type " + name);
    return *f;
}

bool kernelHasKprobes() {
    return ::access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0 ||
           ::access("/sys/kernel/tracing/kprobe_events", F_OK) == 0;
}

} // namespace

TEST(SystemInfo, KprobeAnswerMatchesRun) {
    JP_REQUIRE_BPF_PRIVILEGES();
    auto s = jitprobe::probe_system_features();
    const jitprobe::Feature &kprobe = attachType(s, "kprobe");
    EXPECT_EQ(kprobe.supported, kernelHasKprobes()) << kprobe.detail;
    std::string file =
        writeProbe("kprobe", "int kprobe__vfs_read(struct pt_regs *ctx) { return 0; }\n");
    CliRun run = runCli({"run", file, "--duration", "1"});
    if (kprobe.supported) {
        EXPECT_EQ(run.status, 0) << run.err;
        return;
    }
    EXPECT_EQ(run.status, 1) << run.err;
    EXPECT_NE(run.err.find("no kprobe support (CONFIG_KPROBES is not set)"), std::string::npos)
        << run.err;
    EXPECT_NE(kprobe.detail.find("no kprobe support (CONFIG_KPROBES is not set)"),
              std::string::npos)
        << kprobe.detail;
}

TEST(SystemInfo, FentryAnswerMatchesCheck) {
    JP_REQUIRE_BPF_PRIVILEGES();
    auto s = jitprobe::probe_system_features();
    const jitprobe::Feature &fentry = attachType(s, "fentry");
    std::string file = writeProbe("fentry", "KFUNC_PROBE(vfs_read) { return 0; }\n");
    CliRun check = runCli({"check", file});
    EXPECT_EQ(check.status == 0, fentry.supported) << fentry.detail << "\n" << check.err;
    if (!fentry.supported) { // refused at load, with the errno check reports
        EXPECT_EQ(fentry.detail.rfind("refused: load: ", 0), 0u) << fentry.detail;
        std::string err = fentry.detail.substr(15, fentry.detail.find(' ', 15) - 15); // "EPERM"
        EXPECT_NE(check.err.find(err), std::string::npos) << err << " vs " << check.err;
    }
}

TEST(SystemInfo, TracepointsAttachAndHostStateIsReal) {
    JP_REQUIRE_BPF_PRIVILEGES();
    auto s = jitprobe::probe_system_features();
    utsname u{};
    ASSERT_EQ(::uname(&u), 0);
    EXPECT_EQ(s.kernel_release, u.release);
    EXPECT_TRUE(attachType(s, "tracepoint").supported) << attachType(s, "tracepoint").detail;
    EXPECT_TRUE(attachType(s, "raw_tp").supported) << attachType(s, "raw_tp").detail;
    // uprobes are what the live uprobe tests attach on this kernel (CONFIG_UPROBES).
    EXPECT_EQ(attachType(s, "uprobe").supported,
              ::access("/sys/bus/event_source/devices/uprobe/type", F_OK) == 0)
        << attachType(s, "uprobe").detail;
    EXPECT_EQ(s.btf.supported, ::access("/sys/kernel/btf/vmlinux", R_OK) == 0);
    const jitprobe::Feature *hash = jitprobe::find_feature(s.map_types, "hash");
    ASSERT_NE(hash, nullptr);
    EXPECT_TRUE(hash->supported);
    const jitprobe::Feature *cap = jitprobe::find_feature(s.capabilities, "CAP_SYS_ADMIN");
    ASSERT_NE(cap, nullptr);
    EXPECT_EQ(cap->supported, ::geteuid() == 0); // tests run as root or skip above
    const jitprobe::Feature *tracefs = jitprobe::find_feature(s.mounts, "tracefs");
    ASSERT_NE(tracefs, nullptr);
    EXPECT_TRUE(tracefs->supported) << tracefs->detail; // probing mounted it if it was not
    // tc and XDP were attached in a private network namespace: this host's lo carries neither.
    EXPECT_TRUE(attachType(s, "xdp").supported) << attachType(s, "xdp").detail;
    EXPECT_TRUE(attachType(s, "tc").supported) << attachType(s, "tc").detail;
    __u32 xdp_id = 0;
    ASSERT_EQ(bpf_xdp_query_id(static_cast<int>(if_nametoindex("lo")), 0, &xdp_id), 0);
    EXPECT_EQ(xdp_id, 0u);
    // No clsact qdisc left on lo: creating one succeeds (and it is removed again).
    LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(if_nametoindex("lo")),
                .attach_point = static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
    int err = bpf_tc_hook_create(&hook);
    EXPECT_EQ(err, 0) << "lo already has a clsact qdisc";
    if (err == 0) {
        EXPECT_EQ(bpf_tc_hook_destroy(&hook), 0);
    }
}

TEST(SystemInfo, CliJsonAndVersion) {
    JP_REQUIRE_BPF_PRIVILEGES();
    CliRun info = runCli({"info", "--format", "json"});
    ASSERT_EQ(info.status, 0) << info.err;
    ASSERT_EQ(info.records.size(), 1u) << info.out;
    const nlohmann::json &j = info.records[0];
    EXPECT_EQ(j["type"], "info");
    std::vector<std::string> names;
    for (const auto &a : j["attach_types"])
        names.push_back(a["name"]);
    for (const char *want : {"tracepoint", "kprobe", "kprobe.multi", "uprobe", "uprobe.multi",
                             "fentry", "lsm", "tc", "xdp", "perf_event", "raw_tp"})
        EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
    CliRun version = runCli({"--version"});
    ASSERT_EQ(version.status, 0);
    for (const char *want : {"jitprobe ", "LLVM ", "libbpf ", "build type "})
        EXPECT_NE(version.out.find(want), std::string::npos) << want << "\n" << version.out;
}
