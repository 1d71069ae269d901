// BPF_ARRAY (1-3 arguments), BPF_PERCPU_ARRAY, BPF_PERCPU_HASH, lru_percpu_hash, BPF_HISTOGRAM
// (int and struct keys), BPF_LRU_HASH (evicts instead of failing), BPF_LPM_TRIE (longest prefix).
struct comm_key {
    char comm[16];
};
struct hist_key {
    u32 kind;
    u64 slot;
};
struct lpm_key {
    u32 prefixlen;
    u8 addr[4];
};

BPF_ARRAY(arr1);
BPF_ARRAY(arr, u64, 4);
BPF_PERCPU_ARRAY(pcpu_arr, u64, 2);
BPF_PERCPU_HASH(pcpu_hash, struct comm_key, u64);
BPF_TABLE("lru_percpu_hash", struct comm_key, u64, lru_pcpu, 16);
BPF_HISTOGRAM(hist);
BPF_HISTOGRAM(hist_by_kind, struct hist_key);
BPF_LRU_HASH(lru, u32, u64, 8);
BPF_HASH(small, u32, u64, 8);
BPF_LPM_TRIE(routes, struct lpm_key, u64, 16);
// results[0]: LRU update failures, [1]: plain hash update failures,
// [2]: LPM match for 10.1.2.3 (expect 2), [3]: LPM match for 10.9.9.9 (expect 1).
BPF_ARRAY(results, u64, 4);

static __always_inline bool is_trigger(const char *comm) {
    const char want[] = "jpdialect";
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return false;
    return true;
}

static __always_inline void fill_lru(u32 base) {
    for (u32 i = 0; i < 32; i++) {
        u32 key = base * 32 + i;
        u64 one = 1;
        if (lru.update(&key, &one) != 0)
            results.increment(0);
        if (small.update(&key, &one) != 0)
            results.increment(1);
    }
}

static __always_inline void lpm(void) {
    struct lpm_key k8 = {8, {10, 0, 0, 0}}, k16 = {16, {10, 1, 0, 0}};
    struct lpm_key q1 = {32, {10, 1, 2, 3}}, q2 = {32, {10, 9, 9, 9}};
    u64 v1 = 1, v2 = 2;
    routes.update(&k8, &v1);
    routes.update(&k16, &v2);
    u64 *m = routes.lookup(&q1);
    if (m) {
        int slot = 2;
        u64 got = *m;
        results.update(&slot, &got);
    }
    m = routes.lookup(&q2);
    if (m) {
        int slot = 3;
        u64 got = *m;
        results.update(&slot, &got);
    }
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    struct comm_key k = {};
    bpf_get_current_comm(&k.comm, sizeof(k.comm));
    if (!is_trigger(k.comm))
        return 0;
    arr1.increment(0);
    arr.increment(1);
    arr.atomic_increment(2, 3);
    pcpu_arr.increment(0);
    pcpu_hash.increment(k);
    lru_pcpu.increment(k);
    hist.increment(bpf_log2l(1000));
    struct hist_key hk = {7, bpf_log2l(5)};
    hist_by_kind.increment(hk);
    u64 *n = pcpu_hash.lookup(&k);
    fill_lru(n ? (u32)*n : 0);
    lpm();
    return 0;
}
