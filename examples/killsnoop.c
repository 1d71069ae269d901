// killsnoop.c — who sends signals to whom.
//
// syscalls:sys_enter_kill / sys_exit_kill: one event per kill() call, with the sender, the
// target pid, the signal and the result (0 or -errno). signal:signal_generate sees every signal
// the kernel generates (kill(), tgkill(), the kernel's own SIGCHLD, SIGPIPE, SIGSEGV...) and
// counts them in `signals` by sender comm, target comm and signal number.
//
// Run it:
//   jitprobe run examples/killsnoop.c -c "sh -c 'sleep 5 & kill \$!'"
//   jitprobe run examples/killsnoop.c --duration 10 --format json

struct kill_args {
    int target;
    int sig;
};

struct kill_event {
    u32 pid;
    int target;
    int sig;
    int ret;
    char comm[16];
};

struct signal_key {
    char sender[16];
    char target[16];
    int sig;
};

BPF_HASH(in_kill, u32, struct kill_args, 1024);
BPF_HASH(signals, struct signal_key, u64, 4096);
BPF_PERF_OUTPUT(kills);

TRACEPOINT_PROBE(syscalls, sys_enter_kill)
{
    u32 tid = bpf_get_current_pid_tgid();
    struct kill_args ka = {};
    ka.target = args->pid;
    ka.sig = args->sig;
    in_kill.update(&tid, &ka);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_kill)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 tid = id;
    struct kill_args *ka = in_kill.lookup(&tid);
    if (ka == NULL)
        return 0;
    struct kill_event ev = {};
    ev.pid = id >> 32;
    ev.target = ka->target;
    ev.sig = ka->sig;
    ev.ret = args->ret;
    bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
    kills.perf_submit(args, &ev, sizeof(ev));
    in_kill.delete(&tid);
    return 0;
}

TRACEPOINT_PROBE(signal, signal_generate)
{
    struct signal_key key = {};
    bpf_get_current_comm(&key.sender, sizeof(key.sender));
    bpf_probe_read_kernel(&key.target, sizeof(key.target), args->comm);
    key.sig = args->sig;
    signals.increment(key);
    return 0;
}
