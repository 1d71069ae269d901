// BPF_ARRAY_OF_MAPS and BPF_HASH_OF_MAPS (BCC spells the inner map's name as a string). The
// C++ API puts `inner`'s fd into outer_array[0] and outer_hash[5]; the probe reaches `inner`
// through both and counts in its slots 0 (via the array) and 1 (via the hash).
BPF_ARRAY(inner, u64, 4);
BPF_ARRAY_OF_MAPS(outer_array, "inner", 2);
BPF_HASH_OF_MAPS(outer_hash, u32, "inner", 4);

static __always_inline bool is_trigger(void) {
    char comm[16];
    bpf_get_current_comm(&comm, sizeof(comm));
    const char want[] = "jpdialect";
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return false;
    return true;
}

static __always_inline void bump(void *map, int slot) {
    u64 *v = bpf_map_lookup_elem(map, &slot);
    if (v)
        __sync_fetch_and_add(v, 1);
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    if (!is_trigger())
        return 0;
    int idx = 0;
    void *m = outer_array.lookup(&idx);
    if (m)
        bump(m, 0);
    u32 key = 5;
    m = outer_hash.lookup(&key);
    if (m)
        bump(m, 1);
    return 0;
}
