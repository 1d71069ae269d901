// kprobe + kretprobe pair by naming convention: the entry marks opens of /tmp/jitprobe-vm-*
// (by thread), the return classifies their return values: ENOENT, an fd, or another error.
BPF_HASH(inflight, u64, u8);
BPF_HASH(results, u32, u64);

int kprobe__do_sys_openat2(struct pt_regs *ctx, int dfd, const char __user *filename)
{
    char name[24] = {};
    const char prefix[] = "/tmp/jitprobe-vm-";
    bpf_probe_read_user_str(name, sizeof(name), filename);
    for (int i = 0; i < sizeof(prefix) - 1; i++) {
        if (name[i] != prefix[i])
            return 0;
    }
    u64 tid = bpf_get_current_pid_tgid();
    u8 one = 1;
    inflight.update(&tid, &one);
    return 0;
}

int kretprobe__do_sys_openat2(struct pt_regs *ctx)
{
    u64 tid = bpf_get_current_pid_tgid();
    if (!inflight.lookup(&tid))
        return 0;
    inflight.delete(&tid);
    long ret = PT_REGS_RC(ctx);
    u32 k = ret == -ENOENT ? 1 : (ret >= 0 ? 2 : 3); // 1 ENOENT, 2 fd, 3 other error
    results.increment(k);
    return 0;
}
