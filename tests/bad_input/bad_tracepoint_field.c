// EXPECT: bad_tracepoint_field\.c:8:\d+: error: .*pathname
BPF_PERF_OUTPUT(paths);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    char buf[64] = {};
    bpf_probe_read_user_str(&buf, sizeof(buf),
                            args->pathname);
    paths.perf_submit(args, &buf, sizeof(buf));
    return 0;
}
