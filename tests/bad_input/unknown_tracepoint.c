// EXPECT: unknown_tracepoint\.c:5:\d+: error: .*sys_enter_opena
// EXPECT: did you mean .*sys_enter_open
BPF_ARRAY(hits, u64, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_opena)
{
    hits.increment(0);
    return 0;
}
