// Compile once, run everywhere: built into a .jpo on the host (scripts/vmtest.sh), run in the
// guest's other kernel, where task_struct's layout differs. For each openat of a process named
// "jpocat" (told by the helper, not by CO-RE) it compares what CO-RE reads from task_struct with
// what the helpers report: a wrong offset shows as a mismatch, not as silence.
//   seen[0] events  seen[1] tgid matches  seen[2] comm matches  seen[3] pid (tid) matches
//   seen[4] real_parent->tgid (the guest test knows it: jitprobe's pid)
BPF_HASH(seen, u32, u64);

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    char comm[16] = {};
    bpf_get_current_comm(&comm, sizeof(comm));
    const char want[] = "jpocat";
    for (int i = 0; i < sizeof(want); i++) {
        if (comm[i] != want[i])
            return 0;
    }
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    u64 id = bpf_get_current_pid_tgid();
    u32 k = 0;
    seen.increment(k);
    if (t->tgid == (u32)(id >> 32)) {
        k = 1;
        seen.increment(k);
    }
    char core_comm[16] = {};
    bpf_probe_read_kernel(&core_comm, sizeof(core_comm), t->comm);
    int same = 1;
    for (int i = 0; i < 16; i++) {
        if (core_comm[i] != comm[i])
            same = 0;
    }
    if (same) {
        k = 2;
        seen.increment(k);
    }
    if (t->pid == (u32)id) {
        k = 3;
        seen.increment(k);
    }
    k = 4;
    u64 ppid = t->real_parent->tgid;
    seen.update(&k, &ppid);
    return 0;
}
