// profile.c — a sampling CPU profiler: where does the target spend its CPU time?
//
// A perf_event program on the software cpu-clock event (49 samples per second per CPU, as the
// directive at the end of this header says) records the user-space stack of whatever runs on the sampled CPU
// in a BPF_STACK_TRACE map (get_stackid with BPF_F_USER_STACK) plus the kernel stack, and counts
// samples in `samples` by {comm, pid, user_stack, kernel_stack}. jitprobe prints the stack map
// with symbolized frames, so each counted stack id can be looked up there.
// With -c COMMAND (or -p PID) only that process and its children are sampled (TARGET_PID);
// otherwise every process but the idle task.
//
// Run it:
//   jitprobe run examples/profile.c -c "python3 -c 'import time; t = time.time(); exec(\"while time.time() - t < 1: pass\")'"
//   jitprobe run examples/profile.c --duration 5          # whole system
//
// @attach perf_event:software:cpu-clock:freq=49 -> on_sample
//
// Served (`jitprobe serve examples/profile.c`), each stack id becomes its folded frames
// ("outer;...;inner"), so `jitprobe_samples_total` is a flame graph's input:
// @metric samples decode=user_stack:ustack decode=kernel_stack:kstack

#include <uapi/linux/bpf_perf_event.h>
#include <linux/sched.h>

struct sample_key {
    char comm[16];
    u32 pid;
    int user_stack;         /* id in `stacks`, or negative (-EFAULT: no user stack, kernel thread) */
    int kernel_stack;
};

BPF_STACK_TRACE(stacks, 4096);
BPF_HASH(samples, struct sample_key, u64, 8192);

static __always_inline int wanted(u32 tgid)
{
    if (tgid == 0)
        return 0;               /* idle */
#ifdef TARGET_PID
    if (tgid == TARGET_PID)
        return 1;
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    return task->real_parent->tgid == TARGET_PID;
#else
    return 1;
#endif
}

int on_sample(struct bpf_perf_event_data *ctx)
{
    u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (!wanted(tgid))
        return 0;
    struct sample_key key = {};
    key.pid = tgid;
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    key.user_stack = stacks.get_stackid(ctx, BPF_F_USER_STACK);
    key.kernel_stack = stacks.get_stackid(ctx, 0);
    samples.increment(key);
    return 0;
}
