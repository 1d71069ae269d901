// Kernel includes any kernel path resolves to, macros and inlines BTF cannot carry, BCC's
// __data_loc readers, and a function only a Python side would name (load-only kprobe).
#include <linux/time64.h>
#include <linux/compaction.h>
#include <rdma/rdma_cm.h>
#include <uapi/linux/fs.h>
#include <trace/events/sched.h>

struct name_t {
    char dname[DNAME_INLINE_LEN];
    char irq[32];
};
BPF_HASH(seen, u32, struct name_t, 64);
BPF_HASH(sums, u32, u64, 64);

TRACEPOINT_PROBE(irq, irq_handler_entry) {
    struct name_t v = {};
    TP_DATA_LOC_READ_STR(&v.irq, name, sizeof(v.irq));
    u32 irq = args->irq;
    seen.update(&irq, &v);
    u64 zero = 0, *n = sums.lookup_or_init(&irq, &zero); // BCC: returns 0 itself on failure
    ++(*n);
    return 0;
}

int trace_tcp(struct pt_regs *ctx, struct sock *sk, struct sk_buff *skb,
              struct folio *folio) {
    u32 key = sizeof(sk->__sk_common.skc_v6_daddr.s6_addr32) == 16;
    u64 v = div_u64(TCP_SKB_CB(skb)->seq, 2) + min_t(u32, SCM_RIGHTS, 5);
    if ((unsigned long)folio_page(folio, 1) > PAGE_OFFSET)
        v += USER_HZ + (WRITE - READ);
    sums.increment(key, v);
    return 0;
}

// A helper BCC would inline (here a BPF-to-BPF call would lose the literal's bounds), called
// from a probe reading the sixth register argument.
static int by_name(struct pt_regs *ctx, const char *op) {
    struct name_t v = {};
    __builtin_memcpy(&v.irq, op, 8);
    u32 key = 1;
    seen.update(&key, &v);
    return 0;
}

int trace_six(struct pt_regs *ctx, long a, long b, long c, long d, long e, long f) {
    sums.increment((u32)f, a + b + c + d + e);
    return by_name(ctx, "sixargs!");
}
