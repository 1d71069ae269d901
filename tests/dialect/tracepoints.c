// Probe kinds that attach here: TRACEPOINT_PROBE, a tracepoint__CAT__EVENT function,
// RAW_TRACEPOINT_PROBE, a raw_tracepoint__EVENT function, and TP_BTF_PROBE (tp_btf with
// BPF_PROG-style typed arguments). Each counts events of "jpdialect" per probe kind.
struct kind_key {
    char kind[16];
};

BPF_HASH(seen, struct kind_key, u64, 16);

static __always_inline bool is_trigger(void) {
    char comm[16];
    bpf_get_current_comm(&comm, sizeof(comm));
    const char want[] = "jpdialect";
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return false;
    return true;
}

static __always_inline void count(const char *kind) {
    struct kind_key k = {};
    __builtin_memcpy(k.kind, kind, 8);
    seen.increment(k);
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    if (is_trigger() && args->filename)
        count("tp_macr");
    return 0;
}

int tracepoint__sched__sched_process_exec(struct tracepoint__sched__sched_process_exec *args) {
    if (is_trigger() && args->pid > 0)
        count("tp_func");
    return 0;
}

RAW_TRACEPOINT_PROBE(sys_enter) {
    if (is_trigger() && ctx->args[1] == 257 /* openat on x86_64 */)
        count("raw_macr");
    return 0;
}

int raw_tracepoint__sched_process_exec(struct bpf_raw_tracepoint_args *ctx) {
    if (is_trigger())
        count("raw_func");
    return 0;
}

// Typed arguments straight from BTF: the task is read directly (no bpf_probe_read).
TP_BTF_PROBE(sched_process_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm) {
    char comm[16];
    __builtin_memcpy(comm, p->comm, sizeof(comm));
    const char want[] = "jpdialect";
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return 0;
    if (old_pid == p->pid)
        count("tp_btf\0\0");
    return 0;
}
