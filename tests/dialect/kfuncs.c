// kfunc__/kretfunc__ (KFUNC_PROBE, KRETFUNC_PROBE), KMOD_RET, LSM_PROBE and BPF_INODE_STORAGE
// (LSM-only helper). This kernel refuses fentry/fexit/fmod_ret/LSM loads with EPERM, so these
// compile and reach the verifier only.
BPF_HASH(calls, u32, u64, 64);
BPF_INODE_STORAGE(inode_opens, u64);

KFUNC_PROBE(vfs_read, struct file *file, char *buf, size_t count) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    calls.increment(pid, count);
    return 0;
}

KRETFUNC_PROBE(vfs_read, struct file *file, char *buf, size_t count, ssize_t ret) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (ret > 0)
        calls.increment(pid);
    return 0;
}

KMOD_RET(security_file_open, struct file *file) {
    return 0;
}

LSM_PROBE(file_open, struct file *file) {
    u64 *n = inode_opens.inode_storage_get(file->f_inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
    if (n)
        *n += 1;
    if (n && *n > 1000)
        inode_opens.inode_storage_delete(file->f_inode);
    return 0;
}
