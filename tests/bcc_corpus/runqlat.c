// runqlat, BCC-tool style: raw tracepoints on sched_wakeup, sched_wakeup_new and sched_switch
// (task_struct pointers from ctx->args), run-queue latency per pid into a log2 histogram in
// usecs, with the preempted-task case read from prev->__state.
#include <uapi/linux/ptrace.h>
#include <linux/sched.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>

typedef struct pid_key {
    u32 id;
    u64 slot;
} pid_key_t;

BPF_HASH(start, u32);
BPF_HISTOGRAM(dist);
BPF_HISTOGRAM(dist_by_pid, pid_key_t);

static int trace_enqueue(u32 tgid, u32 pid)
{
    if (pid == 0)
        return 0;
    u64 ts = bpf_ktime_get_ns();
    start.update(&pid, &ts);
    return 0;
}

RAW_TRACEPOINT_PROBE(sched_wakeup)
{
    // TP_PROTO(struct task_struct *p)
    struct task_struct *p = (struct task_struct *)ctx->args[0];
    return trace_enqueue(p->tgid, p->pid);
}

RAW_TRACEPOINT_PROBE(sched_wakeup_new)
{
    struct task_struct *p = (struct task_struct *)ctx->args[0];
    return trace_enqueue(p->tgid, p->pid);
}

RAW_TRACEPOINT_PROBE(sched_switch)
{
    // TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next, ...)
    struct task_struct *prev = (struct task_struct *)ctx->args[1];
    struct task_struct *next = (struct task_struct *)ctx->args[2];
    u32 pid, tgid;

    if (prev->__state == TASK_RUNNING) {
        tgid = prev->tgid;
        pid = prev->pid;
        trace_enqueue(tgid, pid);
    }

    tgid = next->tgid;
    pid = next->pid;
    u64 *tsp, delta;
    tsp = start.lookup(&pid);
    if (tsp == 0)
        return 0;   // missed enqueue
    delta = (bpf_ktime_get_ns() - *tsp) / 1000;

    dist.atomic_increment(bpf_log2l(delta));
    pid_key_t key = {.id = tgid, .slot = bpf_log2l(delta)};
    dist_by_pid.atomic_increment(key);
    start.delete(&pid);
    return 0;
}
