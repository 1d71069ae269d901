// For tests/vm/cpp_iter.cpp: a task iterator writing one binary record per task (thread) to the
// iterator's seq_file. Built into a .jpo on the host and run in the guest, so the task_struct
// reads are CO-RE relocations resolved against the guest's layout.
struct task_rec {
    u32 tgid;
    u32 pid;
    char comm[16];
};

BPF_ITER(task)
{
    struct seq_file *seq = ctx->meta->seq;
    struct task_struct *task = ctx->task;
    if (!task)
        return 0;
    struct task_rec r = {};
    r.tgid = task->tgid;
    r.pid = task->pid;
    bpf_probe_read_kernel(&r.comm, sizeof(r.comm), task->comm);
    bpf_seq_write(seq, &r, sizeof(r));
    return 0;
}
