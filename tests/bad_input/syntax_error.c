// EXPECT: syntax_error\.c:7:\d+: error: expected ';'
BPF_HASH(counts, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_getpid)
{
    u32 key = 0;
    u64 step = 1
    counts.increment(key, step);
    return 0;
}
