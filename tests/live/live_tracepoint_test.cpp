// Tracepoints and raw tracepoints on the live kernel, through init_object (precompiled ELF).
#include "LiveSupport.h"

#include <unistd.h>

using namespace jitprobe;
using namespace jitprobe::testing;

namespace {

const char *kCountOpens = R"(
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 1024);
         __type(key, __u32); __type(value, __u64); } counts SEC(".maps");
SEC("tracepoint/syscalls/sys_enter_openat")
int count_opens(void *ctx) {
    __u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (pid != TARGET_PID) return 0;
    BUMP(counts, pid);
    return 0;
}
SEC("raw_tracepoint/sys_enter")
int count_raw(struct bpf_raw_tracepoint_args *ctx) {
    __u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (pid != TARGET_PID || ctx->args[1] != 257 /* openat */) return 0;
    BUMP(counts, 1);
    return 0;
}
)";

// Compiles kCountOpens for this process and initializes BPF with INFO.
Status initCountOpens(BPF &bpf, frontend::ProgramInfo info = {}) {
    std::string err;
    auto elf = compileBpfC(kCountOpens, {"TARGET_PID=" + std::to_string(::getpid())}, err);
    if (elf.empty())
        return Status(-1, "clang failed: " + err);
    return bpf.init_object(std::move(elf), std::move(info));
}

} // namespace

TEST(LiveTracepoint, CountsExactlyTheOpensOfThisProcess) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    ASSERT_TRUE(initCountOpens(bpf).ok());
    Status s = bpf.attach_tracepoint("syscalls:sys_enter_openat", "count_opens");
    ASSERT_TRUE(s.ok()) << s.msg();
    openFileTimes("/etc/hostname", 17);
    auto table = bpf.get_hash_table<uint32_t, uint64_t>("counts");
    ASSERT_TRUE(table.valid()) << table.status().msg();
    uint64_t n = 0;
    ASSERT_TRUE(table.get_value(uint32_t(::getpid()), n).ok());
    EXPECT_EQ(n, 17u);
    auto all = table.get_table_offline();
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].first, uint32_t(::getpid()));

    ASSERT_TRUE(bpf.detach_tracepoint("syscalls:sys_enter_openat").ok());
    openFileTimes("/etc/hostname", 5);
    ASSERT_TRUE(table.get_value(uint32_t(::getpid()), n).ok());
    EXPECT_EQ(n, 17u) << "events counted after detach";
    EXPECT_EQ(bpf.detach_tracepoint("syscalls:sys_enter_openat").code(), ENOENT);
}

TEST(LiveTracepoint, AttachAllUsesProgramInfo) {
    JP_REQUIRE_BPF_PRIVILEGES();
    frontend::ProgramInfo info;
    info.programs.push_back(programSpec("count_opens", "tracepoint", "syscalls:sys_enter_openat"));
    info.programs.push_back(programSpec("count_raw", "raw_tracepoint", "sys_enter"));
    BPF bpf;
    ASSERT_TRUE(initCountOpens(bpf, info).ok());
    Status s = bpf.attach_all();
    ASSERT_TRUE(s.ok()) << s.msg();
    EXPECT_EQ(bpf.attachments().size(), 2u);
    openFileTimes("/etc/hostname", 9);
    auto table = bpf.get_hash_table<uint32_t, uint64_t>("counts");
    uint64_t tp = 0, raw = 0;
    ASSERT_TRUE(table.get_value(uint32_t(::getpid()), tp).ok());
    ASSERT_TRUE(table.get_value(1u, raw).ok());
    EXPECT_EQ(tp, 9u);
    EXPECT_EQ(raw, 9u);
    EXPECT_TRUE(bpf.attach_all().ok()) << "attach_all must be idempotent";
    EXPECT_EQ(bpf.attachments().size(), 2u);
}

TEST(LiveTracepoint, MissingTracepointIsNamedWithSuggestion) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    ASSERT_TRUE(initCountOpens(bpf).ok());
    Status s = bpf.attach_tracepoint("syscalls:sys_enter_opnat", "count_opens");
    EXPECT_EQ(s.code(), ENOENT);
    EXPECT_NE(s.msg().find("prog 'count_opens'"), std::string::npos) << s.msg();
    EXPECT_NE(s.msg().find("'syscalls:sys_enter_opnat' does not exist"), std::string::npos)
        << s.msg();
    EXPECT_NE(s.msg().find("did you mean 'syscalls:sys_enter_openat'"), std::string::npos)
        << s.msg();
}

TEST(LiveTracepoint, AttachAllFailureNamesLineAndUndoes) {
    JP_REQUIRE_BPF_PRIVILEGES();
    frontend::ProgramInfo info;
    info.programs.push_back(programSpec("count_opens", "tracepoint", "syscalls:sys_enter_openat"));
    info.programs.push_back(programSpec("count_raw", "raw_tracepoint", "no_such_raw_tp"));
    info.programs.back().attach[0].line = 42;
    BPF bpf;
    ASSERT_TRUE(initCountOpens(bpf, info).ok());
    Status s = bpf.attach_all();
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.msg().find("<probe>:42: prog 'count_raw'"), std::string::npos) << s.msg();
    EXPECT_NE(s.msg().find("no_such_raw_tp"), std::string::npos) << s.msg();
    EXPECT_TRUE(bpf.attachments().empty());
}

TEST(LiveTracepoint, UnknownProgramListsKnownOnes) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    ASSERT_TRUE(initCountOpens(bpf).ok());
    Status s = bpf.attach_tracepoint("syscalls:sys_enter_openat", "nope");
    EXPECT_EQ(s.code(), ENOENT);
    EXPECT_NE(s.msg().find("no BPF program named 'nope'"), std::string::npos) << s.msg();
    EXPECT_NE(s.msg().find("'count_opens'"), std::string::npos) << s.msg();
}

TEST(LiveTracepoint, ProgramsReportTypeAndInstructionCount) {
    JP_REQUIRE_BPF_PRIVILEGES();
    BPF bpf;
    ASSERT_TRUE(initCountOpens(bpf).ok());
    auto progs = bpf.programs();
    ASSERT_EQ(progs.size(), 2u);
    EXPECT_EQ(progs[0].name, "count_opens");
    EXPECT_EQ(progs[0].prog_type, "tracepoint");
    EXPECT_GT(progs[0].insns, 5u);
    EXPECT_EQ(progs[1].prog_type, "raw_tracepoint");
    int fd = -1;
    EXPECT_TRUE(bpf.load_func("count_opens", -1, fd).ok());
    EXPECT_EQ(fd, progs[0].fd);
}
