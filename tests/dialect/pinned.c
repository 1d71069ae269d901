// BPF_TABLE_PINNED: the map is pinned at PIN_PATH (bpffs must be mounted) and survives the
// run; a second run reuses (and keeps counting in) the same map.
#ifndef PIN_PATH
#define PIN_PATH "/sys/fs/bpf/jp_dialect_pinned"
#endif
BPF_TABLE_PINNED("hash", u32, u64, pinned_counts, 16, PIN_PATH);

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
