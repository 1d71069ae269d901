// BPF_SOCKMAP / BPF_SOCKHASH: sock_map_update / sock_hash_update from sock_ops,
// msg_redirect_map / msg_redirect_hash from sk_msg, sk_redirect_map / sk_redirect_hash from
// sk_skb. Verified only (live use needs cgroup sock_ops + a socket pair setup).
BPF_SOCKMAP(sock_map, 4);
BPF_SOCKHASH(sock_hash, u32, 4);

int on_sockops(struct bpf_sock_ops *skops) {
    u32 key = skops->local_port & 3;
    int idx = key;
    if (skops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB) {
        sock_map.sock_map_update(skops, &idx, BPF_ANY);
        sock_hash.sock_hash_update(skops, &key, BPF_ANY);
    }
    return 1;
}

int on_msg(struct sk_msg_md *msg) {
    u32 key = msg->local_port & 3;
    if (msg->size > 100)
        return sock_hash.msg_redirect_hash(msg, &key, BPF_F_INGRESS);
    return sock_map.msg_redirect_map(msg, key, BPF_F_INGRESS);
}

SEC("sk_skb/stream_verdict")
int on_skb(struct __sk_buff *skb) {
    u32 key = skb->local_port & 3;
    if (skb->len > 100)
        return sock_hash.sk_redirect_hash(skb, &key, 0);
    return sock_map.sk_redirect_map(skb, key, 0);
}
