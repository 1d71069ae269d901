// kretprobe by naming convention: return values of do_sys_openat2 for the test command's
// processes, split into failures (negative errno) and successes (an fd).
BPF_HASH(results, u32, u64);

int kretprobe__do_sys_openat2(struct pt_regs *ctx)
{
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
        return 0;
    long ret = PT_REGS_RC(ctx);
    u32 k = ret == -ENOENT ? 1 : (ret >= 0 ? 2 : 3); // 1 ENOENT, 2 fd, 3 other error
    results.increment(k);
    return 0;
}
