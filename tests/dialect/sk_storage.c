// BPF_SK_STORAGE from a cgroup_skb egress program: sk_storage_get (create) counts the packets
// each socket sent; sk_storage_delete on a marker packet length. User space reads the count with
// the socket's fd as the key.
BPF_SK_STORAGE(sk_pkts, u64);

SEC("cgroup_skb/egress")
int count_egress(struct __sk_buff *skb) {
    struct bpf_sock *sk = skb->sk;
    if (!sk)
        return 1;
    sk = bpf_sk_fullsock(sk);
    if (!sk)
        return 1;
    if (skb->len == 28 + 99) { // IPv4 + UDP headers + a 99-byte payload: forget this socket
        sk_pkts.sk_storage_delete(sk);
        return 1;
    }
    u64 *n = sk_pkts.sk_storage_get(sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 1;
}
