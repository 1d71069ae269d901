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
    return 0;
}

int trace_tcp(struct pt_regs *ctx, struct sock *sk, struct sk_buff *skb,
              struct folio *folio) {
    u32 key = sizeof(sk->__sk_common.skc_v6_daddr.s6_addr32) == 16;
    u64 v = div_u64(TCP_SKB_CB(skb)->seq, 2) + min_t(u32, SCM_RIGHTS, 5);
    if ((unsigned long)folio_page(folio, 1) > PAGE_OFFSET)
        v += USER_HZ;
    sums.increment(key, v);
    return 0;
}
