// Wildcards on a kernel with kprobes (issue 16): kprobe:vfs_read* through one kprobe.multi
// link, and a libc uprobe glob that 6.1 (no uprobe.multi) attaches one link per target. The
// command's kernel calls are counted per function address (bpf_get_func_ip).
// @attach kprobe:vfs_read* -> on_vfs_read
// @attach uprobe:/lib/x86_64-linux-gnu/libc.so.6:readlink* -> on_readlink
BPF_HASH(kcalls, u64, u64);
BPF_ARRAY(ucalls, u64, 1);

int on_vfs_read(struct pt_regs *ctx)
{
    if ((bpf_get_current_pid_tgid() >> 32) == TARGET_PID)
        kcalls.increment(bpf_get_func_ip(ctx));
    return 0;
}

int on_readlink(struct pt_regs *ctx)
{
    if ((bpf_get_current_pid_tgid() >> 32) == TARGET_PID)
        ucalls.increment(0);
    return 0;
}
