// EXPECT: stack
// EXPECT: 512
struct big_event { char path[600]; };
BPF_PERF_OUTPUT(big_events);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    struct big_event ev = {};
    bpf_probe_read_user_str(&ev.path, sizeof(ev.path), args->filename);
    big_events.perf_submit(args, &ev, sizeof(ev));
    return 0;
}
