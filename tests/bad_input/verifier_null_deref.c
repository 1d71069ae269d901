// EXPECT: verifier_null_deref\.c:10
// EXPECT: \*v \+= 1
// EXPECT: null|invalid mem access
BPF_HASH(tallies, u32, u64, 128);

TRACEPOINT_PROBE(syscalls, sys_enter_getpid)
{
    u32 k = bpf_get_current_pid_tgid() >> 32;
    u64 *v = tallies.lookup(&k);
    *v += 1;
    return 0;
}
