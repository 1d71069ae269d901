// A one-page ring buffer flooded with 1 KiB records from one process's getpid() calls: most
// records cannot fit, and every one the kernel drops must be reported as lost.
struct big {
    u32 seq;
    char pad[1020];
};

BPF_RINGBUF_OUTPUT(flood, 1);
BPF_ARRAY(attempts, u64, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_getpid)
{
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
        return 0;
    attempts.atomic_increment(0);
    struct big *b = flood.ringbuf_reserve(sizeof(struct big));
    if (!b)
        return 0;
    b->seq = 1;
    flood.ringbuf_submit(b, 0);
    return 0;
}
