// opensnoop_kprobe.c — opensnoop.c in BCC's classic kprobe form: who opened what, and the
// result (fd or -errno), from a kprobe and a kretprobe on the kernel's do_sys_openat2.
//
// Needs a kernel with kprobes (CONFIG_KPROBES): Debian's, most distributions'. The entry
// probe's typed arguments are do_sys_openat2's own; how->flags is read through CO-RE, so one
// compiled object (jitprobe build) runs on kernels whose struct open_how layouts differ.
//
// Run it:
//   jitprobe run examples/opensnoop_kprobe.c -c "cat /etc/hostname /nonexistent"
//   jitprobe build examples/opensnoop_kprobe.c -o opensnoop.jpo && jitprobe run opensnoop.jpo

struct open_start {
    u64 flags;
    char path[160];
};

struct open_event {
    u32 pid;
    int ret;
    u64 flags;
    char comm[16];
    char path[160];
};

BPF_HASH(starts, u32, struct open_start, 4096);
BPF_RINGBUF_OUTPUT(open_events, 64);

int kprobe__do_sys_openat2(struct pt_regs *ctx, int dfd, const char __user *filename,
                           struct open_how *how)
{
    u32 tid = bpf_get_current_pid_tgid();
    struct open_start s = {};
    s.flags = how->flags;
    bpf_probe_read_user_str(&s.path, sizeof(s.path), filename);
    starts.update(&tid, &s);
    return 0;
}

int kretprobe__do_sys_openat2(struct pt_regs *ctx)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 tid = id;
    struct open_start *s = starts.lookup(&tid);
    if (s == NULL)
        return 0;
    struct open_event *ev = open_events.ringbuf_reserve(sizeof(struct open_event));
    if (ev != NULL) {
        ev->pid = id >> 32;
        ev->ret = PT_REGS_RC(ctx);
        ev->flags = s->flags;
        bpf_get_current_comm(&ev->comm, sizeof(ev->comm));
        __builtin_memcpy(ev->path, s->path, sizeof(ev->path));
        open_events.ringbuf_submit(ev, 0);
    }
    starts.delete(&tid);
    return 0;
}
