// runqlat.c — run-queue (scheduler) latency: how long runnable threads wait for a CPU.
//
// A thread becomes runnable at sched:sched_wakeup / sched:sched_wakeup_new, or when it is
// preempted while still runnable (sched:sched_switch with a running prev_state). The time until
// sched:sched_switch puts it on a CPU is its run-queue latency; runq_lat_us is a log2
// histogram of those latencies in microseconds.
//
// Run it:
//   jitprobe run examples/runqlat.c --duration 5
//   jitprobe run examples/runqlat.c -c "python3 -c 'import time; [time.sleep(0.001) for _ in range(300)]'"
//   jitprobe run examples/runqlat.c -D BY_COMM=1 --duration 5     # one histogram per process name
//
// Options (-D): BY_COMM=1 splits the histogram by the comm of the thread that waited.

struct comm_slot {
    char comm[16];
    u64 slot;
};

BPF_HASH(enqueued_at, u32, u64, 16384);
#ifdef BY_COMM
BPF_HISTOGRAM(runq_lat_us, struct comm_slot, 2048);
#else
BPF_HISTOGRAM(runq_lat_us);
#endif

static __always_inline int mark_runnable(u32 tid)
{
    if (tid == 0)
        return 0;               /* the idle task never waits in a run queue */
    u64 now = bpf_ktime_get_ns();
    enqueued_at.update(&tid, &now);
    return 0;
}

TRACEPOINT_PROBE(sched, sched_wakeup)
{
    return mark_runnable(args->pid);
}

TRACEPOINT_PROBE(sched, sched_wakeup_new)
{
    return mark_runnable(args->pid);
}

TRACEPOINT_PROBE(sched, sched_switch)
{
    /* Preempted but still runnable: it goes straight back into the queue. Low byte 0 is
     * TASK_RUNNING; the tracepoint reports preemption as TASK_REPORT_MAX (0x100). */
    if ((args->prev_state & 0xff) == 0)
        mark_runnable(args->prev_pid);

    u32 next = args->next_pid;
    u64 *ts = enqueued_at.lookup(&next);
    if (ts == NULL)
        return 0;
    u64 delta_us = (bpf_ktime_get_ns() - *ts) / 1000;
    enqueued_at.delete(&next);
#ifdef BY_COMM
    struct comm_slot key = {};
    bpf_probe_read_kernel(&key.comm, sizeof(key.comm), args->next_comm);
    key.slot = bpf_log2l(delta_us);
    runq_lat_us.increment(key);
#else
    runq_lat_us.increment(bpf_log2l(delta_us));
#endif
    return 0;
}
