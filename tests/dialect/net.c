// Network program kinds: a socket filter (counts packets, perf_submit_skb with the packet's
// first bytes), XDP (counts packets; XDP_PASS), and redirect_map on BPF_DEVMAP / BPF_CPUMAP /
// BPF_XSKMAP (verified only: redirecting on lo would loop).
struct pkt_event {
    u32 len;
    u32 protocol;
};

BPF_ARRAY(sock_pkts, u64, 2); // [0] packets, [1] bytes
BPF_ARRAY(xdp_pkts, u64, 1);
BPF_PERF_OUTPUT(skb_events);
BPF_DEVMAP(devs, 4);
BPF_CPUMAP(cpus, 4);
BPF_XSKMAP(xsks, 4);

int sock_count(struct __sk_buff *skb) {
    sock_pkts.atomic_increment(0);
    sock_pkts.atomic_increment(1, skb->len);
    struct pkt_event ev = {skb->len, skb->protocol};
    u32 cap = skb->len < 16 ? skb->len : 16;
    skb_events.perf_submit_skb(skb, cap, &ev, sizeof(ev));
    return skb->len;
}

int xdp_count(struct xdp_md *ctx) {
    xdp_pkts.atomic_increment(0);
    return XDP_PASS;
}

int xdp_redirect(struct xdp_md *ctx) {
    void *end = (void *)(long)ctx->data_end, *data = (void *)(long)ctx->data;
    if (data + 1 > end)
        return XDP_PASS;
    u8 first = *(u8 *)data;
    if (first == 1)
        return devs.redirect_map(0, 0);
    if (first == 2)
        return cpus.redirect_map(0, 0);
    return xsks.redirect_map(ctx->rx_queue_index, XDP_PASS);
}
