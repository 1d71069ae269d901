// EXPECT: wrong_argument_count\.c:7:\d+: error: .*argument
BPF_HASH(last_seen, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_getpid)
{
    u32 k = bpf_get_current_pid_tgid() >> 32;
    last_seen.update(&k);
    return 0;
}
