// BPF_TASK_STORAGE from tracepoints: task_storage_get (with BPF_LOCAL_STORAGE_GET_F_CREATE)
// counts opens per task in the task's own storage; task_storage_delete at exit.
struct comm_key {
    char comm[16];
};

BPF_TASK_STORAGE(task_opens, u64);
BPF_HASH(per_comm, struct comm_key, u64, 64);
// [0] successful task_storage_delete at exit, [1] lookups without create that found nothing
BPF_ARRAY(results, u64, 2);

static __always_inline bool is_trigger(const char *comm) {
    const char want[] = "jpdialect";
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return false;
    return true;
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    struct comm_key k = {};
    bpf_get_current_comm(&k.comm, sizeof(k.comm));
    if (!is_trigger(k.comm))
        return 0;
    struct task_struct *task = bpf_get_current_task_btf();
    u64 *n = task_opens.task_storage_get(task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
    if (n) {
        *n += 1;
        u64 seen = *n;
        per_comm.update(&k, &seen);
    }
    return 0;
}

TRACEPOINT_PROBE(sched, sched_process_exit) {
    struct comm_key k = {};
    bpf_get_current_comm(&k.comm, sizeof(k.comm));
    if (!is_trigger(k.comm))
        return 0;
    struct task_struct *task = bpf_get_current_task_btf();
    if (task_opens.task_storage_delete(task) == 0)
        results.increment(0);
    if (!task_opens.task_storage_get(task, 0, 0))
        results.increment(1);
    return 0;
}
