// biolatency.c — block I/O latency: time from issue to the device until completion.
//
// block:block_rq_issue remembers when each request (identified by device + start sector) went
// to the driver; block:block_rq_complete turns that into a latency. bio_lat_us is a log2
// histogram in microseconds; bio_bytes counts the bytes issued per operation type (rwbs:
// "W" write, "R" read, "WS" sync write, "FF" flush...).
//
// Run it:
//   jitprobe run examples/biolatency.c --duration 5
//   jitprobe run examples/biolatency.c -c "dd if=/dev/zero of=/tmp/bio.dat bs=4k count=256 oflag=direct"
//   jitprobe run examples/biolatency.c -D BY_DEV=1 --duration 5    # one histogram per disk
//
// Options (-D): BY_DEV=1 splits the histogram by device (dev = major << 20 | minor).

struct rq_key {
    u64 dev;
    u64 sector;
};

struct dev_slot {
    u64 dev;
    u64 slot;
};

struct op_key {
    char rwbs[10];
};

BPF_HASH(issued_at, struct rq_key, u64, 16384);
BPF_HASH(bio_bytes, struct op_key, u64, 64);
#ifdef BY_DEV
BPF_HISTOGRAM(bio_lat_us, struct dev_slot, 1024);
#else
BPF_HISTOGRAM(bio_lat_us);
#endif

TRACEPOINT_PROBE(block, block_rq_issue)
{
    struct rq_key key = {};
    key.dev = args->dev;
    key.sector = args->sector;
    u64 now = bpf_ktime_get_ns();
    issued_at.update(&key, &now);

    struct op_key op = {};
    bpf_probe_read_kernel(&op.rwbs, sizeof(op.rwbs), args->rwbs);
    u64 zero = 0;
    u64 *bytes = bio_bytes.lookup_or_try_init(&op, &zero);
    if (bytes != NULL)
        __sync_fetch_and_add(bytes, args->bytes);
    return 0;
}

TRACEPOINT_PROBE(block, block_rq_complete)
{
    struct rq_key key = {};
    key.dev = args->dev;
    key.sector = args->sector;
    u64 *ts = issued_at.lookup(&key);
    if (ts == NULL)
        return 0;               /* issued before we started tracing */
    u64 delta_us = (bpf_ktime_get_ns() - *ts) / 1000;
    issued_at.delete(&key);
#ifdef BY_DEV
    struct dev_slot hk = {};
    hk.dev = args->dev;
    hk.slot = bpf_log2l(delta_us);
    bio_lat_us.increment(hk);
#else
    bio_lat_us.increment(bpf_log2l(delta_us));
#endif
    return 0;
}
