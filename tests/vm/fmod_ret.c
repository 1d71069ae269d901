// KMOD_RET (fmod_ret) on an LSM hook: opening a file named "jitprobe-vm-deny" fails with EPERM
// (the hook itself is skipped); every other open is left alone. denied[0] counts the refusals.
// (fmod_ret attaches only to error-injectable functions and security_* hooks.)
BPF_ARRAY(denied, u64, 1);

KMOD_RET(security_file_open, struct file *file, int ret)
{
    char name[32] = {};
    bpf_probe_read_kernel_str(name, sizeof(name), file->f_path.dentry->d_name.name);
    const char want[] = "jitprobe-vm-deny";
    for (int i = 0; i < sizeof(want); i++) {
        if (name[i] != want[i])
            return 0;
    }
    int k = 0;
    denied.increment(k);
    return -1; /* -EPERM */
}
