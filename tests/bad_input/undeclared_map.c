// EXPECT: undeclared_map\.c:7:\d+: error: .*ghost_counts
BPF_HASH(real_counts, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_getpid)
{
    u32 k = 1; u64 zero = 0;
    ghost_counts.update(&k, &zero);
    return 0;
}
