// kprobe and kretprobe by @attach directives, on functions with free names.
// @attach kprobe:do_sys_openat2 -> on_open
// @attach kretprobe:do_sys_openat2 -> on_open_ret
BPF_ARRAY(counts, u64, 3); // [2]: guest_tests.sh adds a kprobe at an offset

int on_open(struct pt_regs *ctx)
{
    if ((bpf_get_current_pid_tgid() >> 32) == TARGET_PID)
        counts.increment(0);
    return 0;
}

int on_open_ret(struct pt_regs *ctx)
{
    if ((bpf_get_current_pid_tgid() >> 32) == TARGET_PID)
        counts.increment(1);
    return 0;
}
