// USDT: libstdc++'s libstdcxx:throw probe (arguments: the thrown object, its std::type_info*,
// the destructor), read with BCC's bpf_usdt_readarg (1-based) and bpf_usdt_readarg_p.
// @attach usdt:/usr/lib/x86_64-linux-gnu/libstdc++.so.6:libstdcxx:throw -> on_throw
struct comm_key {
    char comm[16];
};

BPF_HASH(throws, struct comm_key, u64, 16);
// [0] throws with a non-zero type_info pointer, [1] readarg failures, [2] non-zero object ptr,
// [3] successful readarg_p of the type_info's first 8 bytes (its vtable pointer)
BPF_ARRAY(results, u64, 4);

int on_throw(struct pt_regs *ctx) {
    struct comm_key k = {};
    bpf_get_current_comm(&k.comm, sizeof(k.comm));
    throws.increment(k);
    u64 obj = 0, type_info = 0;
    if (bpf_usdt_readarg(1, ctx, &obj) != 0 || bpf_usdt_readarg(2, ctx, &type_info) != 0) {
        results.increment(1);
        return 0;
    }
    if (type_info)
        results.increment(0);
    if (obj)
        results.increment(2);
    u64 vtable = 0;
    if (bpf_usdt_readarg_p(2, ctx, &vtable, sizeof(vtable)) == 0 && vtable)
        results.increment(3);
    return 0;
}
