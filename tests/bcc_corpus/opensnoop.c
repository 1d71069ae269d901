// opensnoop, BCC-tool style: kprobe/kretprobe pair on do_sys_openat2 with typed arguments;
// the entry stashes the filename pointer and flags per thread, the return emits an event.
#include <uapi/linux/ptrace.h>
#include <uapi/linux/limits.h>
#include <linux/sched.h>

struct val_t {
    u64 id;
    char comm[TASK_COMM_LEN];
    const char *fname;
    int flags;
};

struct data_t {
    u64 id;
    u64 ts;
    u32 uid;
    int ret;
    int flags;
    char comm[TASK_COMM_LEN];
    char fname[NAME_MAX];
};

BPF_HASH(infotmp, u64, struct val_t);
BPF_PERF_OUTPUT(events);

int kprobe__do_sys_openat2(struct pt_regs *ctx, int dfd, const char __user *filename,
                           struct open_how *how)
{
    struct val_t val = {};
    u64 id = bpf_get_current_pid_tgid();
    u32 tgid = id >> 32;

    if (tgid == 0)
        return 0;
    if (bpf_get_current_comm(&val.comm, sizeof(val.comm)) == 0) {
        val.id = id;
        val.fname = filename;
        val.flags = how->flags;
        infotmp.update(&id, &val);
    }
    return 0;
}

int kretprobe__do_sys_openat2(struct pt_regs *ctx)
{
    struct val_t *valp;
    struct data_t data = {};
    u64 id = bpf_get_current_pid_tgid();

    valp = infotmp.lookup(&id);
    if (valp == 0)
        return 0;   // missed the entry
    bpf_probe_read_kernel(&data.comm, sizeof(data.comm), valp->comm);
    bpf_probe_read_user_str(&data.fname, sizeof(data.fname), (void *)valp->fname);
    data.id = valp->id;
    data.ts = bpf_ktime_get_ns() / 1000;
    data.uid = bpf_get_current_uid_gid();
    data.flags = valp->flags;
    data.ret = PT_REGS_RC(ctx);

    events.perf_submit(ctx, &data, sizeof(data));
    infotmp.delete(&id);
    return 0;
}
