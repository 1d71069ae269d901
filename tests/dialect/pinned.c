// BPF_TABLE_PINNED: the map is pinned at /sys/fs/bpf/jp_dialect_pinned (bpffs must be
// mounted) and survives the run; a second run reuses (and keeps counting in) the same map.
BPF_TABLE_PINNED("hash", u32, u64, pinned_counts, 16, "/sys/fs/bpf/jp_dialect_pinned");

static __always_inline bool is_trigger(void) {
    char comm[16];
    bpf_get_current_comm(&comm, sizeof(comm));
    const char want[] = "jpdialect";
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return false;
    return true;
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    if (is_trigger())
        pinned_counts.increment(1);
    return 0;
}
