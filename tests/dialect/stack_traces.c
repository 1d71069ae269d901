// BPF_STACK_TRACE and BPF_STACK_TRACE_BUILDID with get_stackid (user stacks of a tracepoint).
struct comm_key {
    char comm[16];
};

BPF_STACK_TRACE(stacks, 128);
BPF_STACK_TRACE_BUILDID(build_id_stacks, 128);
// [0] stack ids obtained, [1] failures; [2] build-id stack ids obtained, [3] failures
BPF_ARRAY(results, u64, 4);
BPF_HASH(last_stack, struct comm_key, int, 16);

static __always_inline bool is_trigger(const char *comm) {
    const char want[] = "jpdialect";
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return false;
    return true;
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    struct comm_key k = {};
    bpf_get_current_comm(&k.comm, sizeof(k.comm));
    if (!is_trigger(k.comm))
        return 0;
    int id = stacks.get_stackid(args, BPF_F_USER_STACK);
    results.increment(id >= 0 ? 0 : 1);
    if (id >= 0)
        last_stack.update(&k, &id);
    int bid = build_id_stacks.get_stackid(args, BPF_F_USER_STACK);
    results.increment(bid >= 0 ? 2 : 3);
    return 0;
}
