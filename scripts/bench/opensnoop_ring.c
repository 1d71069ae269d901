// Probe (3b), jitprobe/BCC dialect: the same event through a 256-page (1 MiB) ring buffer.
struct open_event {
    u32 pid;
    char comm[16];
    char fname[128];
};

BPF_RINGBUF_OUTPUT(events, 256);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    struct open_event ev = {};
    ev.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
    bpf_probe_read_user_str(&ev.fname, sizeof(ev.fname), args->filename);
    events.ringbuf_output(&ev, sizeof(ev), 0);
    return 0;
}
