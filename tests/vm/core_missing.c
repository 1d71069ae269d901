// A CO-RE read the guest's kernel cannot satisfy: task_struct.mm_cid exists on the build host
// (6.4 and later) but not in 6.1. The .jpo built on the host must fail to load in the guest
// with a message naming the type and the field.
BPF_ARRAY(cids, u64, 1);

TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    int k = 0;
    u64 cid = t->mm_cid;
    cids.update(&k, &cid);
    return 0;
}
