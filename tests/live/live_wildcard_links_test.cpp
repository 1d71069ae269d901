// Wildcard links and regex forms (issue 16): a uprobe glob is one uprobe.multi link where the
// kernel has it (counted in this process's fds), BCC's sym_re= / tp_re= / event_re= as *_regex.
#include "LiveSupport.h"
#include "ProcessRunner.h"
#include "attach/MultiLinks.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

using namespace jitprobe;
using namespace jitprobe::testing;

namespace {

// This process's BPF link fds by fdinfo link_type ("uprobe_multi", "perf_event", ...).
std::map<std::string, int> linkFdsByType() {
    std::map<std::string, int> out;
    for (const auto &entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        if (std::filesystem::read_symlink(entry.path(), ec) != "anon_inode:bpf_link" || ec)
            continue;
        std::ifstream info("/proc/self/fdinfo/" + entry.path().filename().string());
        for (std::string line; std::getline(info, line);)
            if (line.starts_with("link_type:"))
                out[line.substr(line.find_first_not_of(" \t", 10))]++;
    }
    return out;
}

int total(const std::map<std::string, int> &m) {
    int n = 0;
    for (const auto &[type, count] : m)
        n += count;
    return n;
}

// Runs UPROBE_CXX_TARGET N; its pid (after it exited with status 0).
pid_t runCxxTarget(const std::string &n) {
    std::string bin = UPROBE_CXX_TARGET;
    char *argv[] = {bin.data(), const_cast<char *>(n.c_str()), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    int err = posix_spawn(&pid, argv[0], &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    EXPECT_EQ(err, 0);
    int status = -1;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid); // the target runs in milliseconds
    EXPECT_EQ(status, 0);
    return pid;
}

// Calls by (pid, function address): bpf_get_func_ip is the probed address for both links.
const char *kCallsByFunction = R"(
struct call_key { u64 pid; u64 ip; };
BPF_HASH(calls, struct call_key, u64);
int on_call(struct pt_regs *ctx) {
    struct call_key key = {bpf_get_current_pid_tgid() >> 32, bpf_get_func_ip(ctx)};
    calls.increment(key);
    return 0;
}
)";

struct CallKey {
    uint64_t pid, ip;
};

// The call counts of PID's functions, sorted.
std::vector<uint64_t> countsOf(BPF &bpf, pid_t pid) {
    std::vector<uint64_t> out;
    for (const auto &[key, n] : bpf.get_hash_table<CallKey, uint64_t>("calls").get_table_offline())
        if (key.pid == uint64_t(pid))
            out.push_back(n);
    std::sort(out.begin(), out.end());
    return out;
}

Status initAndAttach(BPF &bpf, const std::string &source) {
    InitOptions opts;
    opts.file_name = "wildcard_links.c";
    Status s = bpf.init(source, {}, opts);
    return s.ok() ? bpf.attach_all() : s;
}

} // namespace

// jp_wild_one runs N times, jp_wild_two 2N times: both counted, through one link.
TEST(LiveWildcardLinks, UprobeGlobIsOneUprobeMultiLink) {
    JP_REQUIRE_BPF_PRIVILEGES();
    const Status &multi = detail::uprobeMultiSupport();
    if (!multi.ok())
        GTEST_SKIP() << "this kernel has no uprobe.multi links (" << multi.msg()
                     << "): the per-target form is LiveWildcards.UprobeGlob*";
    auto before = linkFdsByType();
    BPF bpf;
    Status s = initAndAttach(bpf, std::string("// @attach uprobe:") + UPROBE_CXX_TARGET +
                                      ":jp_wild_* -> on_call\n" + kCallsByFunction);
    ASSERT_TRUE(s.ok()) << s.msg();
    auto after = linkFdsByType();
    EXPECT_EQ(after["uprobe_multi"] - before["uprobe_multi"], 1);
    EXPECT_EQ(total(after) - total(before), 1); // no perf-event link per target
    // Decided before the load: the program itself has the multi attach type (no copy).
    bpf_program *prog = bpf_object__find_program_by_name(bpf.raw_object(), "on_call");
    ASSERT_NE(prog, nullptr);
    EXPECT_EQ(int(bpf_program__expected_attach_type(prog)), detail::kTraceUprobeMulti);
    ASSERT_EQ(bpf.wildcard_matches().size(), 1u);
    EXPECT_NE(bpf.wildcard_matches()[0].find("2 targets, one uprobe.multi link: jp_wild_one, "
                                             "jp_wild_two"),
              std::string::npos)
        << bpf.wildcard_matches()[0];
    pid_t pid = runCxxTarget("5");
    EXPECT_EQ(countsOf(bpf, pid), (std::vector<uint64_t>{5, 10}));
    EXPECT_TRUE(bpf.detach_uprobe(UPROBE_CXX_TARGET, "jp_wild_*").ok());
    EXPECT_EQ(total(linkFdsByType()), total(before)); // the link closed with the detach
    EXPECT_TRUE(bpf.wildcard_matches().empty());
}

// sym_re=: matched from the start of the name, '$' ends it; a copy of the program is loaded with
// the multi attach type when the load did not know (C++ attach after init).
TEST(LiveWildcardLinks, UprobeRegexCountsEachMatchedFunction) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    InitOptions opts;
    opts.file_name = "uprobe_regex.c";
    Status s = bpf.init(kCallsByFunction, {}, opts);
    ASSERT_TRUE(s.ok()) << s.msg();
    s = bpf.attach_uprobe_regex(UPROBE_CXX_TARGET, "jp_wild_(one|two)$", "on_call");
    ASSERT_TRUE(s.ok()) << s.msg();
    ASSERT_EQ(bpf.wildcard_matches().size(), 1u);
    EXPECT_NE(bpf.wildcard_matches()[0].find("regex 'jp_wild_(one|two)$'"), std::string::npos);
    pid_t pid = runCxxTarget("4");
    EXPECT_EQ(countsOf(bpf, pid), (std::vector<uint64_t>{4, 8}));
    EXPECT_EQ(bpf.detach_uprobe_regex(UPROBE_CXX_TARGET, "jp_wild_(one|two)$").code(), 0);
    EXPECT_TRUE(bpf.attachments().empty());
    // Anchored at the start: "wild_one" is inside jp_wild_one but does not start it.
    Status none = bpf.attach_uprobe_regex(UPROBE_CXX_TARGET, "wild_one", "on_call");
    EXPECT_EQ(none.code(), ENOENT) << none.msg();
    EXPECT_NE(none.msg().find("regex 'wild_one'"), std::string::npos) << none.msg();
    Status bad = bpf.attach_uprobe_regex(UPROBE_CXX_TARGET, "jp_(", "on_call");
    EXPECT_EQ(bad.code(), EINVAL);
    EXPECT_NE(bad.msg().find("does not compile"), std::string::npos) << bad.msg();
    Status big = bpf.attach_uprobe_regex("/lib/x86_64-linux-gnu/libc.so.6", ".", "on_call");
    EXPECT_EQ(big.code(), E2BIG) << big.msg();
    EXPECT_TRUE(bpf.attachments().empty()); // all or nothing
}

TEST(LiveWildcardLinks, TracepointRegexCountsEachMatchedTracepoint) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    InitOptions opts;
    opts.file_name = "tracepoint_regex.c";
    opts.program_types["on_enter"] = BPF_PROG_TYPE_TRACEPOINT; // no @attach to say so
    Status s = bpf.init(R"(
BPF_HASH(by_nr, u64, u64);
int on_enter(void *ctx) {
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID) return 0;
    by_nr.increment(*(int *)((char *)ctx + 8)); // __syscall_nr, after the common fields
    return 0;
}
)",
                        {"-DTARGET_PID=" + std::to_string(::getpid())}, opts);
    ASSERT_TRUE(s.ok()) << s.msg();
    s = bpf.attach_tracepoint_regex("syscalls:sys_enter_getp(p)?id$", "on_enter");
    ASSERT_TRUE(s.ok()) << s.msg();
    EXPECT_EQ(bpf.attachments().size(), 2u); // getpid and getppid, not getpgid
    for (int i = 0; i < 4; i++)
        (void)::syscall(SYS_getpid);
    for (int i = 0; i < 3; i++)
        (void)::syscall(SYS_getppid);
    (void)::syscall(SYS_getpgid, 0);
    auto counts = bpf.get_hash_table<uint64_t, uint64_t>("by_nr").get_table_offline();
    std::map<uint64_t, uint64_t> by_nr(counts.begin(), counts.end());
    EXPECT_EQ(by_nr[SYS_getpid], 4u);
    EXPECT_EQ(by_nr[SYS_getppid], 3u);
    EXPECT_EQ(by_nr.count(SYS_getpgid), 0u);
    EXPECT_TRUE(bpf.detach_tracepoint_regex("syscalls:sys_enter_getp(p)?id$").ok());
    EXPECT_TRUE(bpf.attachments().empty());
    EXPECT_EQ(bpf.detach_tracepoint_regex("syscalls:sys_enter_getp(p)?id$").code(), ENOENT);
}

// Without kprobes (this host), a kprobe pattern or regex fails at once with the reason.
TEST(LiveWildcardLinks, KprobePatternWithoutKprobesSaysSo) {
    JP_REQUIRE_BPF_PRIVILEGES();
    if (detail::kernelHasKprobes("/sys/kernel/tracing"))
        GTEST_SKIP() << "this kernel has kprobes (tests/vm/kprobe_wildcard.c covers them)";
    BPF bpf;
    InitOptions opts;
    opts.file_name = "kprobe_regex.c";
    ASSERT_TRUE(bpf.init("int on_read(struct pt_regs *ctx) { return 0; }", {}, opts).ok());
    for (const Status &s : {bpf.attach_kprobe("vfs_read*", "on_read"),
                            bpf.attach_kprobe_regex("vfs_read", "on_read")}) {
        EXPECT_EQ(s.code(), EOPNOTSUPP) << s.msg();
        EXPECT_NE(s.msg().find("this kernel has no kprobe support"), std::string::npos) << s.msg();
    }
}

// `run -v` lists the targets and the link kind.
TEST(LiveWildcardLinks, RunVerboseListsTheMatchedTargets) {
    JP_REQUIRE_BPF_PRIVILEGES();
    std::string source = std::string("// @attach uprobe:") + UPROBE_CXX_TARGET +
                         ":jp_wild_* -> on_call\n" + kCallsByFunction;
    ProcessResult r = runProcess({cliPath(), "-v", "run", "-e", source, "-c",
                                  std::string(UPROBE_CXX_TARGET) + " 2"});
    ASSERT_TRUE(r.exited() && r.exit_code == 0) << r.output;
    std::string links = detail::uprobeMultiSupport().ok() ? "one uprobe.multi link"
                                                          : "one link per target";
    EXPECT_NE(r.output.find("2 targets, " + links), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("jp_wild_one, jp_wild_two"), std::string::npos) << r.output;
}
