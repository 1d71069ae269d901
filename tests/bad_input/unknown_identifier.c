// EXPECT: unknown_identifier\.c:6:\d+: error: use of undeclared identifier 'missing_total'
BPF_ARRAY(totals, u64, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_getpid)
{
    int idx = missing_total;
    totals.increment(idx);
    return 0;
}
