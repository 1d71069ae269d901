// BPF_ITER(task): counts tasks when the iterator is read (C++ API: attach + bpf_iter_create).
BPF_ARRAY(tasks, u64, 1);

BPF_ITER(task) {
    struct task_struct *task = ctx->task;
    if (task)
        tasks.increment(0);
    return 0;
}
