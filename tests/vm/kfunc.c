// fentry and fexit: the marker file's opens, seen with typed arguments and the return value.
BPF_ARRAY(counts, u64, 3);

static __always_inline int is_marker(const char __user *filename)
{
    char name[32] = {};
    const char want[] = "/tmp/jitprobe-vm-marker";
    bpf_probe_read_user_str(name, sizeof(name), filename);
    for (int i = 0; i < sizeof(want); i++) {
        if (name[i] != want[i])
            return 0;
    }
    return 1;
}

KFUNC_PROBE(do_sys_openat2, int dfd, const char __user *filename, struct open_how *how)
{
    if (is_marker(filename))
        counts.increment(0);
    return 0;
}

KRETFUNC_PROBE(do_sys_openat2, int dfd, const char __user *filename, struct open_how *how, long ret)
{
    if (!is_marker(filename))
        return 0;
    counts.increment(1);
    if (ret >= 0)
        counts.increment(2);
    return 0;
}
