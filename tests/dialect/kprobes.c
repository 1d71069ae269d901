// kprobe__ / kretprobe__ (typed arguments after ctx). This kernel has no kprobes
// (CONFIG_KPROBES unset): verified with `check` only.
BPF_HASH(reads, u32, u64, 64);

int kprobe__vfs_read(struct pt_regs *ctx, struct file *file, char *buf, size_t count) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    reads.increment(pid, count);
    return 0;
}

int kretprobe__vfs_read(struct pt_regs *ctx) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (PT_REGS_RC(ctx) > 0)
        reads.increment(pid);
    return 0;
}
