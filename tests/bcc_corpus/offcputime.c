// offcputime, BCC-tool style: at each context switch, remember when the previous task went
// off-CPU; when a task comes back on CPU, sum the blocked time (usecs) by
// {pid, tgid, user stack, kernel stack, name}. Raw tracepoint sched_switch (task_struct pointers
// from ctx->args); stacks from a BPF_STACK_TRACE map.
#include <uapi/linux/ptrace.h>
#include <linux/sched.h>

#define MINBLOCK_US 1ULL
#define MAXBLOCK_US 0xffffffffffffffffULL

struct key_t {
    u64 pid;
    u64 tgid;
    int user_stack_id;
    int kernel_stack_id;
    char name[TASK_COMM_LEN];
};
BPF_HASH(counts, struct key_t);
BPF_HASH(start, u32);
BPF_STACK_TRACE(stack_traces, 16384);

RAW_TRACEPOINT_PROBE(sched_switch)
{
    struct task_struct *prev = (struct task_struct *)ctx->args[1];
    u32 pid = prev->pid;
    u32 tgid = prev->tgid;
    u64 ts, *tsp;

    // record previous thread sleep time
    if (pid != 0) {
        ts = bpf_ktime_get_ns();
        start.update(&pid, &ts);
    }

    // get the current thread's start time
    pid = bpf_get_current_pid_tgid();
    tgid = bpf_get_current_pid_tgid() >> 32;
    tsp = start.lookup(&pid);
    if (tsp == 0)
        return 0;   // missed start or filtered

    // calculate current thread's delta time
    u64 t_start = *tsp;
    u64 t_end = bpf_ktime_get_ns();
    start.delete(&pid);
    if (t_start > t_end)
        return 0;
    u64 delta = (t_end - t_start) / 1000;
    if ((delta < MINBLOCK_US) || (delta > MAXBLOCK_US))
        return 0;

    // create map key
    struct key_t key = {};
    key.pid = pid;
    key.tgid = tgid;
    key.user_stack_id = stack_traces.get_stackid(ctx, BPF_F_USER_STACK);
    key.kernel_stack_id = stack_traces.get_stackid(ctx, 0);
    bpf_get_current_comm(&key.name, sizeof(key.name));

    counts.increment(key, delta);
    return 0;
}
