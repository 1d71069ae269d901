// tcplife.c — TCP session lifetimes: one line per closed connection, with its ports, the bytes
// it moved and how long it lived.
//
// sock:inet_sock_set_state reports every TCP state change. A socket's first change into a
// pre-close state (SYN_SENT, SYN_RECV, ESTABLISHED) starts its life; the owner (pid, comm) is
// taken when the state change happens in the process's own context (connect(): SYN_SENT,
// close(): FIN_WAIT1 / LAST_ACK). At the change into CLOSE an event reports the lifetime in
// usecs and the bytes from the socket's struct tcp_sock (bytes_received, bytes_acked; each
// counts the FIN as one byte), read as CO-RE relocations from
// `((struct tcp_sock *)args->skaddr)->...`. Listening sockets are skipped.
//
// Run it (the python3 command is one line, wrapped here):
//   jitprobe run examples/tcplife.c --duration 10
//   jitprobe run examples/tcplife.c -c "python3 -c 'import socket; s = socket.socket();
//       s.bind((\"127.0.0.1\", 0)); s.listen(); c = socket.create_connection(s.getsockname());
//       a, _ = s.accept(); c.sendall(b\"x\" * 1000); a.recv(4096); c.close(); a.close()'"

#include <net/sock.h>
#include <linux/tcp.h>

#define TCP_SYN_SENT 2
#define TCP_FIN_WAIT1 4
#define TCP_CLOSE 7
#define TCP_LAST_ACK 9
#define IPPROTO_TCP_NR 6

struct birth {
    u64 start_ns;
    u32 pid;
    char comm[16];
};

struct session_event {
    u32 pid;
    u16 family;
    u16 sport;
    u16 dport;
    u8 saddr[4];
    u8 daddr[4];
    u64 rx_bytes;
    u64 tx_bytes;
    u64 duration_us;
    char comm[16];
};

BPF_HASH(births, u64, struct birth, 8192);
BPF_PERF_OUTPUT(sessions);

static __always_inline void set_owner(struct birth *b)
{
    b->pid = bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(&b->comm, sizeof(b->comm));
}

static __always_inline int report(struct tracepoint__sock__inet_sock_set_state *args,
                                  struct birth *b)
{
    struct tcp_sock *tp = (struct tcp_sock *)args->skaddr;
    struct session_event ev = {};
    ev.pid = b->pid;
    __builtin_memcpy(ev.comm, b->comm, sizeof(ev.comm));
    ev.duration_us = (bpf_ktime_get_ns() - b->start_ns) / 1000;
    ev.family = args->family;
    ev.sport = args->sport;
    ev.dport = args->dport;
    bpf_probe_read_kernel(&ev.saddr, sizeof(ev.saddr), args->saddr);
    bpf_probe_read_kernel(&ev.daddr, sizeof(ev.daddr), args->daddr);
    ev.rx_bytes = tp->bytes_received;
    ev.tx_bytes = tp->bytes_acked;
    sessions.perf_submit(args, &ev, sizeof(ev));
    return 0;
}

TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    if (args->protocol != IPPROTO_TCP_NR)
        return 0;
    u64 sk = (u64)args->skaddr;
    int state = args->newstate;
    struct birth *b = births.lookup(&sk);

    if (state == TCP_CLOSE) {
        if (b != NULL) {
            report(args, b);
            births.delete(&sk);
        }
        return 0;
    }
    if (b == NULL) {
        if (state >= TCP_FIN_WAIT1)
            return 0;           /* LISTEN and late states: not a session we saw start */
        struct birth nb = {};
        nb.start_ns = bpf_ktime_get_ns();
        set_owner(&nb);
        births.update(&sk, &nb);
        return 0;
    }
    if (state == TCP_SYN_SENT || state == TCP_FIN_WAIT1 || state == TCP_LAST_ACK)
        set_owner(b);
    return 0;
}
