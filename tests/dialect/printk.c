// bpf_trace_printk / bpf_printk forms BCC tools use, printed privately (PrintkPass): %s of a
// kernel and of a user string, %d %u %x %lld %llu %c %p, %%, more than three arguments, a
// call in a helper function.
static __always_inline void note(u32 pid) {
    bpf_trace_printk("helper pid=%u\n", pid);
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    char comm[16];
    bpf_get_current_comm(&comm, sizeof(comm));
    if (comm[0] != 'j' || comm[1] != 'p' || comm[2] != 'd')
        return 0;
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    bpf_trace_printk("kernel comm=%s user path=%s\n", task->comm, args->filename);
    s64 neg = -42;
    bpf_trace_printk("ints %d %u %x\n", -7, 4000000000u, 255);
    bpf_printk("wide %lld %llu %c 100%%", neg, 18446744073709551615ull, 'J');
    bpf_printk("many %d %d %d %d %d", 1, 2, 3, 4, 5);
    bpf_trace_printk("ptr %p", (void *)0x1234);
    note(bpf_get_current_pid_tgid() >> 32);
    return 0;
}
