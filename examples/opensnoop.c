// opensnoop.c — trace file opens: who opened what, and the result (fd or -errno).
//
// syscalls:sys_enter_openat saves the path per thread; syscalls:sys_exit_openat pairs it with
// the return value and sends one event through a ring buffer.
//
// Run it:
//   jitprobe run examples/opensnoop.c -c "cat /etc/hostname"
//   jitprobe run examples/opensnoop.c -c "cat /nonexistent" --format json   # ret = -2 (ENOENT)
//   jitprobe run examples/opensnoop.c --duration 5 -D ONLY_FAILED=1
//
// Options (-D): ONLY_FAILED=1 reports failed opens only; ONLY_PID=N one process only.

struct open_start {
    int flags;
    char path[160];
};

struct open_event {
    u32 pid;
    u32 uid;
    int ret;
    int flags;
    char comm[16];
    char path[160];
};

BPF_HASH(starts, u32, struct open_start, 4096);
BPF_RINGBUF_OUTPUT(open_events, 64);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    u64 id = bpf_get_current_pid_tgid();
#ifdef ONLY_PID
    if ((id >> 32) != ONLY_PID)
        return 0;
#endif
    u32 tid = id;
    struct open_start s = {};
    s.flags = args->flags;
    bpf_probe_read_user_str(&s.path, sizeof(s.path), args->filename);
    starts.update(&tid, &s);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_openat)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 tid = id;
    struct open_start *s = starts.lookup(&tid);
    if (s == NULL)
        return 0;
    int ret = args->ret;
#ifdef ONLY_FAILED
    if (ret >= 0) {
        starts.delete(&tid);
        return 0;
    }
#endif
    struct open_event *ev = open_events.ringbuf_reserve(sizeof(struct open_event));
    if (ev != NULL) {
        ev->pid = id >> 32;
        ev->uid = bpf_get_current_uid_gid();
        ev->ret = ret;
        ev->flags = s->flags;
        bpf_get_current_comm(&ev->comm, sizeof(ev->comm));
        __builtin_memcpy(ev->path, s->path, sizeof(ev->path));
        open_events.ringbuf_submit(ev, 0);
    }
    starts.delete(&tid);
    return 0;
}
