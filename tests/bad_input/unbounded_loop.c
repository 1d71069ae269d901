// EXPECT: unbounded_loop\.c
// EXPECT: too large|infinite loop|back-edge|loop
BPF_ARRAY(loop_limit, u64, 1);
BPF_ARRAY(mixed, u64, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_getpid)
{
    int zero = 0;
    u64 *limit = loop_limit.lookup(&zero);
    if (!limit)
        return 0;
    u64 acc = 0;
    for (u64 i = 0; i < *limit; i++)
        acc ^= bpf_get_prandom_u32() + i;
    mixed.update(&zero, &acc);
    return 0;
}
