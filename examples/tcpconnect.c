// tcpconnect.c — trace active TCP connects: who connected where, how long the handshake took,
// and whether it succeeded.
//
// sock:inet_sock_set_state reports every TCP state change of every socket. CLOSE -> SYN_SENT is
// a connect() (process context: pid and comm are the caller's); the socket's next change closes
// the attempt: SYN_SENT -> ESTABLISHED (connected) or SYN_SENT -> CLOSE (refused, unreachable,
// timed out). One event per attempt, with addresses, ports and the handshake time in usecs.
// IPv4 addresses are in saddr/daddr, IPv6 ones in saddr6/daddr6 (family 2 = IPv4, 10 = IPv6).
//
// Run it (the python3 command is one line, wrapped here):
//   jitprobe run examples/tcpconnect.c --duration 10
//   jitprobe run examples/tcpconnect.c -c "python3 -c 'import socket; s = socket.socket();
//       s.bind((\"127.0.0.1\", 0)); s.listen(); socket.create_connection(s.getsockname())'"

#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_CLOSE 7
#define IPPROTO_TCP_NR 6
#define AF_INET6_NR 10

struct attempt {
    u64 start_ns;
    u32 pid;
    char comm[16];
};

struct connect_event {
    u32 pid;
    u16 family;
    u16 sport;
    u16 dport;
    u8 connected;           /* 1: ESTABLISHED, 0: failed */
    u8 saddr[4];
    u8 daddr[4];
    u8 saddr6[16];
    u8 daddr6[16];
    u64 latency_us;
    char comm[16];
};

BPF_HASH(attempts, u64, struct attempt, 4096);
BPF_PERF_OUTPUT(connects);

static __always_inline int connect_started(u64 sk)
{
    struct attempt a = {};
    a.start_ns = bpf_ktime_get_ns();
    a.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(&a.comm, sizeof(a.comm));
    attempts.update(&sk, &a);
    return 0;
}

TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    if (args->protocol != IPPROTO_TCP_NR)
        return 0;
    u64 sk = (u64)args->skaddr;
    if (args->oldstate == TCP_CLOSE && args->newstate == TCP_SYN_SENT)
        return connect_started(sk);
    if (args->oldstate != TCP_SYN_SENT)
        return 0;

    struct attempt *a = attempts.lookup(&sk);
    if (a == NULL)
        return 0;
    struct connect_event ev = {};
    ev.pid = a->pid;
    __builtin_memcpy(ev.comm, a->comm, sizeof(ev.comm));
    ev.latency_us = (bpf_ktime_get_ns() - a->start_ns) / 1000;
    ev.connected = args->newstate == TCP_ESTABLISHED;
    ev.family = args->family;
    ev.sport = args->sport;
    ev.dport = args->dport;
    if (args->family == AF_INET6_NR) {
        bpf_probe_read_kernel(&ev.saddr6, sizeof(ev.saddr6), args->saddr_v6);
        bpf_probe_read_kernel(&ev.daddr6, sizeof(ev.daddr6), args->daddr_v6);
    } else {
        bpf_probe_read_kernel(&ev.saddr, sizeof(ev.saddr), args->saddr);
        bpf_probe_read_kernel(&ev.daddr, sizeof(ev.daddr), args->daddr);
    }
    connects.perf_submit(args, &ev, sizeof(ev));
    attempts.delete(&sk);
    return 0;
}
