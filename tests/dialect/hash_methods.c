// BPF_HASH in all its arities, BPF_TABLE / _SHARED / _PUBLIC, BPF_F_TABLE with a flag, and every
// key/value method: lookup, lookup_or_init, lookup_or_try_init, update, insert, delete,
// increment (one and two arguments), atomic_increment.
// Live: run with a command whose comm is "jpdialect" (opens files N >= 3 times).
struct comm_key {
    char comm[16];
};

BPF_HASH(any1);                  // u64 -> u64, 10240 entries
BPF_HASH(by_pid, u32);           // u32 -> u64
BPF_HASH(counts, struct comm_key, u64);
BPF_HASH(sums, struct comm_key, u64, 64);
BPF_TABLE("hash", struct comm_key, u64, atomics, 64);
BPF_TABLE_SHARED("hash", struct comm_key, u64, shared_init, 64);
BPF_TABLE_PUBLIC("hash", struct comm_key, u64, public_init, 64);
BPF_F_TABLE("hash", struct comm_key, u64, noprealloc, 64, BPF_F_NO_PREALLOC);
BPF_HASH(updated, struct comm_key, u64, 64);
BPF_HASH(inserted, struct comm_key, u64, 64);
BPF_HASH(looked_up, struct comm_key, u64, 64);
// The probe deletes from it, which makes it working state by convention; here it is the result.
// @results deleted
BPF_HASH(deleted, u32, u64, 64);

static __always_inline bool is_trigger(const char *comm) {
    const char want[] = "jpdialect";
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return false;
    return true;
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    struct comm_key k = {};
    bpf_get_current_comm(&k.comm, sizeof(k.comm));
    if (!is_trigger(k.comm))
        return 0;
    u64 zero = 0, one = 1;
    any1.increment(1);
    by_pid.increment(bpf_get_current_pid_tgid() >> 32);
    counts.increment(k);
    sums.increment(k, 2);
    atomics.atomic_increment(k);
    u64 *v = shared_init.lookup_or_init(&k, &zero);
    if (v)
        *v += 1;
    v = public_init.lookup_or_try_init(&k, &zero);
    if (v)
        __sync_fetch_and_add(v, 1);
    noprealloc.update(&k, &one);
    u64 *n = counts.lookup(&k);
    if (n) {
        u64 seen = *n;
        updated.update(&k, &seen);    // last write wins: N
        inserted.insert(&k, &seen);   // first write wins: 1
        looked_up.update(&k, &seen);
    }
    u32 gone = 7, kept = 8;
    deleted.update(&gone, &one);
    deleted.update(&kept, &one);
    deleted.delete(&gone);
    return 0;
}
