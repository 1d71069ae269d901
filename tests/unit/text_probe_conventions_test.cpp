// Function names, context types, SEC() names and @attach directives -> ProgramSpec.
#include "conventions/ProbeConventions.h"

#include <gtest/gtest.h>

using namespace jitprobe::frontend;

namespace {

struct Expect {
    const char *name, *ctx, *section, *prog_type, *kind, *target; // kind nullptr: no attach
};

void check(const std::optional<ProgramSpec> &spec, const Expect &e, unsigned line) {
    ASSERT_TRUE(spec.has_value()) << e.name << " / " << e.ctx;
    EXPECT_EQ(spec->function, e.name);
    EXPECT_EQ(spec->section, e.section) << e.name;
    EXPECT_EQ(spec->prog_type, e.prog_type) << e.name;
    EXPECT_EQ(spec->line, line);
    if (!e.kind) {
        EXPECT_TRUE(spec->attach.empty()) << e.name;
        return;
    }
    ASSERT_EQ(spec->attach.size(), 1u) << e.name;
    EXPECT_EQ(spec->attach[0].kind, e.kind) << e.name;
    EXPECT_EQ(spec->attach[0].target, e.target) << e.name;
    EXPECT_EQ(spec->attach[0].line, line);
}

} // namespace

TEST(TextProbeConventions, NamingConventions) {
    const Expect cases[] = {
        {"kprobe__vfs_read", "struct pt_regs *", "kprobe/vfs_read", "kprobe", "kprobe", "vfs_read"},
        {"kretprobe__do_sys_openat2", "struct pt_regs *", "kretprobe/do_sys_openat2", "kprobe",
         "kretprobe", "do_sys_openat2"},
        {"tracepoint__sched__sched_switch", "struct tracepoint__sched__sched_switch *",
         "tracepoint/sched/sched_switch", "tracepoint", "tracepoint", "sched:sched_switch"},
        {"tracepoint__raw_syscalls__sys_enter", "void *", "tracepoint/raw_syscalls/sys_enter",
         "tracepoint", "tracepoint", "raw_syscalls:sys_enter"},
        {"raw_tracepoint__sched_switch", "struct bpf_raw_tracepoint_args *",
         "raw_tracepoint/sched_switch", "raw_tracepoint", "raw_tracepoint", "sched_switch"},
        {"kfunc__vfs_read", "unsigned long long *", "fentry/vfs_read", "tracing", "fentry", "vfs_read"},
        {"kfunc__vmlinux__vfs_read", "unsigned long long *", "fentry/vfs_read", "tracing", "fentry",
         "vfs_read"},
        {"kretfunc__vfs_read", "unsigned long long *", "fexit/vfs_read", "tracing", "fexit", "vfs_read"},
        {"lsm__file_open", "unsigned long long *", "lsm/file_open", "lsm", "lsm", "file_open"},
        {"bpf_iter__task", "struct bpf_iter__task *", "iter/task", "tracing", "iter", "task"},
    };
    unsigned line = 10;
    for (const auto &e : cases)
        check(programForFunction(e.name, e.ctx, line), e, line);
}

TEST(TextProbeConventions, ContextTypes) {
    const Expect cases[] = {
        {"on_getpid", "struct pt_regs *", "kprobe", "kprobe", nullptr, nullptr},
        {"on_getpid2", "const struct pt_regs*", "kprobe", "kprobe", nullptr, nullptr},
        {"on_switch", "struct bpf_raw_tracepoint_args *", "raw_tracepoint", "raw_tracepoint", nullptr, nullptr},
        {"on_fork", "struct tracepoint__sched__sched_process_fork *", "tracepoint", "tracepoint", nullptr, nullptr},
        {"filter", "struct __sk_buff *", "socket", "socket_filter", nullptr, nullptr},
        {"xdp_prog", "struct xdp_md *", "xdp", "xdp", nullptr, nullptr},
        {"on_sample", "struct bpf_perf_event_data *", "perf_event", "perf_event", nullptr, nullptr},
        {"sockops_prog", "struct bpf_sock_ops *", "sockops", "sock_ops", nullptr, nullptr},
        // A convention prefix without a usable rest falls back to the context type.
        {"kprobe__", "struct pt_regs *", "kprobe", "kprobe", nullptr, nullptr},
        {"tracepoint__sched", "struct pt_regs *", "kprobe", "kprobe", nullptr, nullptr},
    };
    for (const auto &e : cases)
        check(programForFunction(e.name, e.ctx, 3), e, 3);
    EXPECT_FALSE(programForFunction("helper", "void *", 1));
    EXPECT_FALSE(programForFunction("helper", "unsigned long long *", 1));
    EXPECT_FALSE(programForFunction("helper", "int", 1));
    EXPECT_FALSE(programForFunction("helper", "struct task_struct *", 1));
    EXPECT_FALSE(programForFunction("helper", "struct pt_regs", 1));
    EXPECT_FALSE(programForFunction("helper", "", 1));
}

TEST(TextProbeConventions, Sections) {
    const Expect cases[] = {
        {"a", "kprobe/vfs_read", "kprobe/vfs_read", "kprobe", "kprobe", "vfs_read"},
        {"a", "kretprobe/vfs_read", "kretprobe/vfs_read", "kprobe", "kretprobe", "vfs_read"},
        {"a", "tracepoint/syscalls/sys_enter_openat", "tracepoint/syscalls/sys_enter_openat",
         "tracepoint", "tracepoint", "syscalls:sys_enter_openat"},
        {"a", "tp/sched/sched_switch", "tp/sched/sched_switch", "tracepoint", "tracepoint",
         "sched:sched_switch"},
        {"a", "raw_tracepoint/sched_switch", "raw_tracepoint/sched_switch", "raw_tracepoint",
         "raw_tracepoint", "sched_switch"},
        {"a", "raw_tp/sched_switch", "raw_tp/sched_switch", "raw_tracepoint", "raw_tracepoint",
         "sched_switch"},
        {"a", "tp_btf/sched_switch", "tp_btf/sched_switch", "tracing", "tp_btf", "sched_switch"},
        {"a", "uprobe//lib/x86_64-linux-gnu/libc.so.6:malloc", "uprobe//lib/x86_64-linux-gnu/libc.so.6:malloc",
         "kprobe", "uprobe", "/lib/x86_64-linux-gnu/libc.so.6:malloc"},
        {"a", "uretprobe//bin/bash:readline", "uretprobe//bin/bash:readline", "kprobe", "uretprobe",
         "/bin/bash:readline"},
        {"a", "usdt//usr/lib/libstdc++.so.6:libstdcxx:throw", "usdt//usr/lib/libstdc++.so.6:libstdcxx:throw",
         "kprobe", "usdt", "/usr/lib/libstdc++.so.6:libstdcxx:throw"},
        {"a", "fentry/vfs_read", "fentry/vfs_read", "tracing", "fentry", "vfs_read"},
        {"a", "fexit/vfs_read", "fexit/vfs_read", "tracing", "fexit", "vfs_read"},
        {"a", "lsm/file_open", "lsm/file_open", "lsm", "lsm", "file_open"},
        {"a", "iter/task", "iter/task", "tracing", "iter", "task"},
        {"a", "perf_event", "perf_event", "perf_event", nullptr, nullptr},
        {"a", "xdp", "xdp", "xdp", nullptr, nullptr},
        {"a", "socket", "socket", "socket_filter", nullptr, nullptr},
        {"a", "uprobe", "uprobe", "kprobe", nullptr, nullptr},
        {"a", "kprobe", "kprobe", "kprobe", nullptr, nullptr},
        {"a", "tc", "tc", "sched_cls", nullptr, nullptr},
    };
    for (const auto &e : cases)
        check(programForSection(e.name, e.ctx, 7), e, 7);
    EXPECT_FALSE(programForSection("a", "tracepoint/sched", 1));
    EXPECT_FALSE(programForSection("a", "kprobe/", 1));
    EXPECT_FALSE(programForSection("a", "bogus", 1));
    EXPECT_FALSE(programForSection("a", "xdpfoo", 1));
    EXPECT_FALSE(programForSection("a", "", 1));
}

TEST(TextProbeConventions, DirectivesGiveSectionAndAttach) {
    struct Case {
        const char *kind, *target, *section, *prog_type;
    } cases[] = {
        {"uprobe", "/lib/x86_64-linux-gnu/libc.so.6:malloc", "uprobe", "kprobe"},
        {"uretprobe", "/lib/x86_64-linux-gnu/libc.so.6:getpid", "uretprobe", "kprobe"},
        {"perf_event", "software:cpu-clock:freq=99", "perf_event", "perf_event"},
        {"tracepoint", "syscalls:sys_enter_openat", "tracepoint/syscalls/sys_enter_openat", "tracepoint"},
        {"raw_tracepoint", "sched_switch", "raw_tracepoint/sched_switch", "raw_tracepoint"},
        {"kprobe", "vfs_read", "kprobe/vfs_read", "kprobe"},
        {"kretprobe", "vfs_read", "kretprobe/vfs_read", "kprobe"},
        {"usdt", "/usr/bin/python3:python:function__entry", "usdt", "kprobe"},
        {"xdp", "veth0:generic", "xdp", "xdp"},
        {"tc", "veth0:ingress", "tc", "sched_cls"},
        {"socket", "eth0", "socket", "socket_filter"},
        {"cgroup", "/sys/fs/cgroup/x:egress", "cgroup_skb/egress", "cgroup_skb"},
        {"cgroup", "/sys/fs/cgroup/x:ingress", "cgroup_skb/ingress", "cgroup_skb"},
    };
    for (const auto &c : cases) {
        // From a context-only spec (no attach point yet) ...
        ProgramSpec spec = *programForFunction("fn", "struct pt_regs *", 20);
        addDirective(spec, AttachDirective{c.kind, c.target, "fn", 4});
        EXPECT_EQ(spec.section, c.section) << c.kind;
        EXPECT_EQ(spec.prog_type, c.prog_type) << c.kind;
        EXPECT_EQ(spec.line, 20u);
        ASSERT_EQ(spec.attach.size(), 1u);
        EXPECT_EQ(spec.attach[0].kind, c.kind);
        EXPECT_EQ(spec.attach[0].target, c.target);
        EXPECT_EQ(spec.attach[0].line, 4u);
        // ... and from nothing at all (a function whose context type said nothing).
        ProgramSpec bare;
        bare.function = "fn";
        addDirective(bare, AttachDirective{c.kind, c.target, "fn", 4});
        EXPECT_EQ(bare.section, c.section) << c.kind;
        EXPECT_EQ(bare.line, 4u);
    }
}

// The attach point decides the type of a __sk_buff function (a socket filter by default).
TEST(TextProbeConventions, SkBuffFunctionTakesTheTypeOfItsAttachPoint) {
    ProgramSpec tc = *programForFunction("f", "struct __sk_buff *", 3);
    EXPECT_EQ(tc.prog_type, "socket_filter");
    addDirective(tc, AttachDirective{"tc", "veth0:ingress", "f", 2});
    EXPECT_EQ(tc.section, "tc");
    EXPECT_EQ(tc.prog_type, "sched_cls");
}

TEST(TextProbeConventions, LaterDirectivesOnlyAddAttachPoints) {
    ProgramSpec spec = *programForFunction("fn", "struct pt_regs *", 9);
    addDirective(spec, AttachDirective{"uprobe", "/bin/x:a", "fn", 2});
    addDirective(spec, AttachDirective{"uretprobe", "/bin/x:b", "fn", 3});
    EXPECT_EQ(spec.section, "uprobe");
    ASSERT_EQ(spec.attach.size(), 2u);
    EXPECT_EQ(spec.attach[1].kind, "uretprobe");

    ProgramSpec named = *programForFunction("kprobe__vfs_read", "struct pt_regs *", 9);
    addDirective(named, AttachDirective{"kprobe", "vfs_write", "kprobe__vfs_read", 2});
    EXPECT_EQ(named.section, "kprobe/vfs_read");
    EXPECT_EQ(named.attach.size(), 2u);
}
