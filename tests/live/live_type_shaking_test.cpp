// Minimal kernel types (TypeShakingPass) on the live kernel: CO-RE relocates every field of
// `task_struct___jp` against the running kernel's task_struct, so values read are the real ones.
#include "LiveSupport.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <cstring>
#include <string>

using namespace jitprobe;
using namespace jitprobe::testing;

namespace {

struct Seen {
    uint32_t tgid;
    uint32_t ppid;
    char comm[16];
};

// The same shape as tests/unit/frontend_type_shaking_test.cpp checks is shaken; MACROS come
// first, GET_TASK is how the probe gets its task_struct pointer.
std::string parentProbe(const std::string &macros, const std::string &get_task) {
    return macros + R"(
struct seen { u32 tgid; u32 ppid; char comm[16]; };
BPF_HASH(parents, u32, struct seen);
TRACEPOINT_PROBE(syscalls, sys_enter_getppid) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (pid != TARGET_PID) return 0;
    struct task_struct *t = )" + get_task + R"(;
    struct seen s = {};
    s.tgid = t->tgid;
    s.ppid = t->real_parent->tgid;
    bpf_probe_read_kernel_str(&s.comm, sizeof(s.comm), &t->comm);
    parents.update(&pid, &s);
    return 0;
}
)";
}

// SOURCE loaded and attached; getppid() called; what the probe stored for this process. The
// rewritten source declares `struct task_struct *t` as REWRITTEN_DECL says.
void expectRealParent(const std::string &source,
                      const std::string &rewritten_decl = "struct task_struct___jp *t") {
    BPF bpf;
    InitOptions opts;
    opts.file_name = "shaken_probe.c";
    opts.want_rewritten = true;
    opts.use_cache = false; // compiled by jitprobe-compiler every time
    Status s = bpf.init(source, {"-DTARGET_PID=" + std::to_string(::getpid())}, opts);
    ASSERT_TRUE(s.ok()) << s.msg();
    EXPECT_NE(bpf.rewritten_source().find(rewritten_decl), std::string::npos)
        << bpf.rewritten_source();
    ASSERT_TRUE(bpf.attach_all().ok());
    char comm[16] = {};
    ::prctl(PR_GET_NAME, comm);
    pid_t parent = ::getppid();
    auto table = bpf.get_hash_table<uint32_t, Seen>("parents");
    ASSERT_TRUE(table.valid()) << table.status().msg();
    Seen seen{};
    ASSERT_TRUE(table.get_value(uint32_t(::getpid()), seen).ok());
    EXPECT_EQ(seen.tgid, uint32_t(::getpid()));
    EXPECT_EQ(seen.ppid, uint32_t(parent));
    EXPECT_STREQ(seen.comm, comm);
}

} // namespace

TEST(LiveTypeShaking, MinimalTaskStructReadsTheRealParent) {
    JP_REQUIRE_BPF_PRIVILEGES();
    expectRealParent(parentProbe("", "(struct task_struct *)bpf_get_current_task()"));
}

TEST(LiveTypeShaking, ThroughUserMacrosToo) {
    JP_REQUIRE_BPF_PRIVILEGES();
    // The user's macro bodies name the struct: they are renamed too.
    expectRealParent(parentProbe("#define TASK(p) ((struct task_struct *)(p))\n"
                                 "#define CURRENT_TASK TASK(bpf_get_current_task())\n",
                                 "CURRENT_TASK"));
}

TEST(LiveTypeShaking, CompilerFallsBackToWholeTypes) {
    JP_REQUIRE_BPF_PRIVILEGES();
    // A user type that collides with the minimal one: the shaken attempt fails in a forked
    // child of jitprobe-compiler, the unshaken source is generated in the compiler itself.
    expectRealParent(parentProbe("struct task_struct___jp { int mine; };\n",
                                 "(struct task_struct *)bpf_get_current_task()"),
                     "struct task_struct *t");
}
