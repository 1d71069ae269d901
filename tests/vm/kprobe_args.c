// kprobe by naming convention with typed arguments: counts openat2 calls whose filename is
// the marker path the test opens (compared in BPF, so only the marker counts).
BPF_ARRAY(hits, u64, 2);

int kprobe__do_sys_openat2(struct pt_regs *ctx, int dfd, const char __user *filename)
{
    char name[32] = {};
    const char want[] = "/tmp/jitprobe-vm-marker";
    bpf_probe_read_user_str(name, sizeof(name), filename);
    for (int i = 0; i < sizeof(want); i++) {
        if (name[i] != want[i])
            return 0;
    }
    int k = 0;
    hits.increment(k);
    if (dfd == -100 /* AT_FDCWD */) {
        k = 1;
        hits.increment(k);
    }
    return 0;
}
