// For tests/vm/cpp_kprobe.cpp: free-named functions the C++ API attaches with attach_kprobe
// (entry, and return with maxactive). Counts per process, so the test reads its own pid.
BPF_HASH(entries, u32, u64);
BPF_HASH(returns, u32, u64);
BPF_HASH(ok_returns, u32, u64);

int on_open(struct pt_regs *ctx)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    entries.increment(pid);
    return 0;
}

int on_open_return(struct pt_regs *ctx)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    returns.increment(pid);
    if ((long)PT_REGS_RC(ctx) >= 0)
        ok_returns.increment(pid);
    return 0;
}
