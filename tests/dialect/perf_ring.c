// BPF_PERF_OUTPUT (perf_submit) and BPF_RINGBUF_OUTPUT (ringbuf_output, ringbuf_reserve +
// ringbuf_submit, ringbuf_reserve + ringbuf_discard). Events carry how they were sent (how):
// 1 perf_submit, 2 ringbuf_output, 3 reserve+submit, 4 reserve+discard (must never arrive).
struct event {
    u32 pid;
    u32 how;
    char comm[16];
};

BPF_PERF_OUTPUT(perf_events);
BPF_RINGBUF_OUTPUT(ring_events, 8);

static __always_inline bool is_trigger(const char *comm) {
    const char want[] = "jpdialect";
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return false;
    return true;
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    struct event ev = {};
    bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
    if (!is_trigger(ev.comm))
        return 0;
    ev.pid = bpf_get_current_pid_tgid() >> 32;
    ev.how = 1;
    perf_events.perf_submit(args, &ev, sizeof(ev));
    ev.how = 2;
    ring_events.ringbuf_output(&ev, sizeof(ev), 0);
    struct event *slot = ring_events.ringbuf_reserve(sizeof(struct event));
    if (slot) {
        __builtin_memcpy(slot, &ev, sizeof(ev));
        slot->how = 3;
        ring_events.ringbuf_submit(slot, 0);
    }
    slot = ring_events.ringbuf_reserve(sizeof(struct event));
    if (slot) {
        __builtin_memcpy(slot, &ev, sizeof(ev));
        slot->how = 4;
        ring_events.ringbuf_discard(slot, 0);
    }
    return 0;
}
