// BPF_PROG_ARRAY and call (tail calls). The runtime (C++ API: get_prog_table) puts tail_target
// into slot 1; the probe counts [0] before the call, [1] in the target, [2] after a failed call.
BPF_PROG_ARRAY(jumps, 4);
BPF_ARRAY(hits, u64, 4);

static __always_inline bool is_trigger(void) {
    char comm[16];
    bpf_get_current_comm(&comm, sizeof(comm));
    const char want[] = "jpdialect";
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return false;
    return true;
}

int tail_target(struct bpf_raw_tracepoint_args *ctx) {
    hits.increment(1);
    return 0;
}

RAW_TRACEPOINT_PROBE(sys_enter) {
    if (!is_trigger())
        return 0;
    hits.increment(0);
    jumps.call(ctx, 1);
    hits.increment(2); // reached only when slot 1 is empty
    return 0;
}
