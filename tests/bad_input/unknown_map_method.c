// EXPECT: unknown_map_method\.c:8:\d+: error: .*frobnicate
// EXPECT: lookup
BPF_HASH(counts, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_getpid)
{
    u32 k = bpf_get_current_pid_tgid();
    counts.frobnicate(&k);
    return 0;
}
