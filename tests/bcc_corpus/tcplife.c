// tcplife, BCC-tool style: kprobe on tcp_set_state(sk, state) with typed arguments. Birth
// timestamps per socket, the owning pid/comm captured at SYN_SENT/LAST_ACK, and at TCP_CLOSE an
// event with addresses, ports, rx/tx bytes from struct tcp_sock and the span in usecs.
#include <uapi/linux/ptrace.h>
#include <linux/tcp.h>
#include <net/sock.h>
#include <bcc/proto.h>

BPF_HASH(birth, struct sock *, u64);

struct ipv4_data_t {
    u64 ts_us;
    u32 pid;
    u32 saddr;
    u32 daddr;
    u64 ports;
    u64 rx_b;
    u64 tx_b;
    u64 span_us;
    char task[TASK_COMM_LEN];
};
BPF_PERF_OUTPUT(ipv4_events);

struct id_t {
    u32 pid;
    char task[TASK_COMM_LEN];
};
BPF_HASH(whoami, struct sock *, struct id_t);

static u16 sock_lport(struct sock *sk)
{
    u16 lport = 0;
    bpf_probe_read_kernel(&lport, sizeof(lport), &sk->__sk_common.skc_num);
    return lport;
}

static u16 sock_dport(struct sock *sk)
{
    u16 dport = 0;
    bpf_probe_read_kernel(&dport, sizeof(dport), &sk->__sk_common.skc_dport);
    return bpf_ntohs(dport);
}

int kprobe__tcp_set_state(struct pt_regs *ctx, struct sock *sk, int state)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;

    // lport is either used in a filter here, or later
    u16 lport = sock_lport(sk);
    u16 dport = sock_dport(sk);
    if (lport == 0 && dport == 0)
        return 0;

    if (state < TCP_FIN_WAIT1) {
        // first state change we see: record the birth timestamp
        u64 ts = bpf_ktime_get_ns();
        birth.update(&sk, &ts);
    }
    if (state == TCP_SYN_SENT || state == TCP_LAST_ACK) {
        // we are in process context: record the owner
        struct id_t me = {.pid = pid};
        bpf_get_current_comm(&me.task, sizeof(me.task));
        whoami.update(&sk, &me);
    }
    if (state != TCP_CLOSE)
        return 0;

    u64 *tsp = birth.lookup(&sk);
    if (tsp == 0) {
        whoami.delete(&sk);     // may not exist
        return 0;               // missed create
    }
    u64 delta_us = (bpf_ktime_get_ns() - *tsp) / 1000;
    birth.delete(&sk);

    struct tcp_sock *tp = (struct tcp_sock *)sk;
    u16 family = sk->__sk_common.skc_family;
    struct id_t *mep = whoami.lookup(&sk);
    if (family == AF_INET) {
        struct ipv4_data_t data4 = {};
        data4.span_us = delta_us;
        data4.rx_b = tp->bytes_received;
        data4.tx_b = tp->bytes_acked;
        data4.ts_us = bpf_ktime_get_ns() / 1000;
        bpf_probe_read_kernel(&data4.saddr, sizeof(data4.saddr), &sk->__sk_common.skc_rcv_saddr);
        bpf_probe_read_kernel(&data4.daddr, sizeof(data4.daddr), &sk->__sk_common.skc_daddr);
        data4.ports = dport + ((0ULL + lport) << 32);
        if (mep == 0) {
            data4.pid = pid;
            bpf_get_current_comm(&data4.task, sizeof(data4.task));
        } else {
            data4.pid = mep->pid;
            bpf_probe_read_kernel(&data4.task, sizeof(data4.task), (void *)mep->task);
        }
        ipv4_events.perf_submit(ctx, &data4, sizeof(data4));
    }
    if (mep != 0)
        whoami.delete(&sk);
    return 0;
}
