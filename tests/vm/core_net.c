// Compile once, run everywhere, for the network structs: built into a .jpo on the host and run in
// the guest's 6.1 kernel, where struct sock and struct sk_buff are laid out differently. Real
// loopback traffic (tests/vm/net_traffic.py: TCP connects to port 47011, UDP datagrams of 1234
// bytes to port 47012) is read through the tracepoints' BTF pointers, and each CO-RE read is
// checked against a value known independently (the tracepoint's own fields, the traffic's), so a
// wrong offset shows as a missing count, not as silence.
//   net[0] TCP sockets of port 47011 reaching ESTABLISHED (sock:inet_sock_set_state)
//   net[1..5] of those: skc_dport, skc_daddr (127.0.0.1), skc_num (== args->sport), sk_protocol
//             (TCP), sk_type (SOCK_STREAM) as CO-RE reads them
//   net[10] skbs queued on a device with len == 14 + 20 + 8 + 1234 (net:net_dev_queue)
//   net[11..14] of those: protocol == htons(ETH_P_IP), dev->name == "lo", skb->sk's sk_protocol
//             == UDP, skb->sk's skc_dport == htons(47012)
//   net[100 + i] the byte offsets CO-RE resolved on this kernel (see tests/vm/guest_tests.sh)
BPF_HASH(net, u32, u64);

static __always_inline void count(u32 k)
{
    net.increment(k);
}

static __always_inline void offset(u32 k, u64 off)
{
    k += 100;
    net.update(&k, &off);
}

TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    if (args->protocol != IPPROTO_TCP || args->newstate != TCP_ESTABLISHED || args->dport != 47011)
        return 0;
    struct sock *sk = (struct sock *)args->skaddr;
    count(0);
    if (sk->__sk_common.skc_dport == bpf_htons(47011))
        count(1);
    if (sk->__sk_common.skc_daddr == bpf_htonl(0x7f000001))
        count(2);
    if (sk->__sk_common.skc_num == args->sport)
        count(3);
    if (sk->sk_protocol == IPPROTO_TCP)
        count(4);
    if (sk->sk_type == SOCK_STREAM)
        count(5);
    offset(0, bpf_core_field_offset(struct sock, __sk_common.skc_dport));
    offset(1, bpf_core_field_offset(struct sock, sk_protocol));
    offset(2, bpf_core_field_offset(struct sock, sk_type));
    return 0;
}

TRACEPOINT_PROBE(net, net_dev_queue)
{
    struct sk_buff *skb = (struct sk_buff *)args->skbaddr;
    if (skb->len != 14 + 20 + 8 + 1234)
        return 0;
    count(10);
    if (skb->protocol == bpf_htons(ETH_P_IP))
        count(11);
    char dev[16] = {};
    bpf_probe_read_kernel(&dev, sizeof(dev), skb->dev->name);
    if (dev[0] == 'l' && dev[1] == 'o' && dev[2] == 0)
        count(12);
    struct sock *sk = skb->sk;
    if (sk && sk->sk_protocol == IPPROTO_UDP)
        count(13);
    if (sk && sk->__sk_common.skc_dport == bpf_htons(47012))
        count(14);
    offset(3, bpf_core_field_offset(struct sk_buff, len));
    offset(4, bpf_core_field_offset(struct sk_buff, protocol));
    offset(5, bpf_core_field_offset(struct sk_buff, dev));
    offset(6, bpf_core_field_offset(struct sk_buff, sk));
    return 0;
}
