// BPF_QUEUE and BPF_STACK: push, pop, peek. Each event pushes 1, 2, 3 and then pops and peeks;
// the results array records what came out (FIFO vs LIFO), then both are drained.
BPF_QUEUE(fifo, u64, 8);
BPF_STACK(lifo, u64, 8);
// [0] queue pop (1), [1] queue peek (2), [2] stack pop (3), [3] stack peek (2),
// [4] events, [5] failed pushes, [6] pops of an empty queue/stack (expect 2 per event)
BPF_ARRAY(results, u64, 8);

static __always_inline bool is_trigger(void) {
    char comm[16];
    bpf_get_current_comm(&comm, sizeof(comm));
    const char want[] = "jpdialect";
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return false;
    return true;
}

static __always_inline void put(int slot, u64 value) {
    results.update(&slot, &value);
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    if (!is_trigger())
        return 0;
    results.increment(4);
    for (u64 v = 1; v <= 3; v++) {
        if (fifo.push(&v, 0) != 0)
            results.increment(5);
        if (lifo.push(&v, BPF_EXIST) != 0)
            results.increment(5);
    }
    u64 out = 0;
    if (fifo.pop(&out) == 0)
        put(0, out);
    if (fifo.peek(&out) == 0)
        put(1, out);
    if (lifo.pop(&out) == 0)
        put(2, out);
    if (lifo.peek(&out) == 0)
        put(3, out);
    for (int i = 0; i < 3; i++) {
        if (fifo.pop(&out) != 0)
            results.increment(6);
        if (lifo.pop(&out) != 0)
            results.increment(6);
    }
    return 0;
}
