// Probe (3a), jitprobe/BCC dialect: one perf-buffer event per openat with pid, comm and filename.
struct open_event {
    u32 pid;
    char comm[16];
    char fname[128];
};

BPF_PERF_OUTPUT(events);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    struct open_event ev = {};
    ev.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
    bpf_probe_read_user_str(&ev.fname, sizeof(ev.fname), args->filename);
    events.perf_submit(args, &ev, sizeof(ev));
    return 0;
}
