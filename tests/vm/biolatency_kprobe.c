// biolatency in BCC's kprobe form, for the VM (tests/vm/guest_tests.sh): a kprobe on
// blk_mq_start_request stores each request's start time; a kprobe on blk_mq_end_request (what
// virtio-blk completes requests with) turns it into a latency, in a log2 histogram keyed by disk
// name and operation (req->q->disk->disk_name, req->cmd_flags: CO-RE reads). Unlike
// tests/bcc_corpus/biolatency.c it does not probe __blk_mq_end_request: 6.1 declares that
// `inline`, which makes it notrace, and the kernel refuses the kprobe (EINVAL).
#include <uapi/linux/ptrace.h>
#include <linux/blk-mq.h>
#include <linux/blkdev.h>

typedef struct disk_key {
    char disk[32];
    u64 op;
    u64 slot;
} disk_key_t;

BPF_HASH(start, struct request *);
BPF_HISTOGRAM(dist, disk_key_t);
BPF_ARRAY(flag_counts, u64, 64);

int trace_req_start(struct pt_regs *ctx, struct request *req)
{
    u64 ts = bpf_ktime_get_ns();
    start.update(&req, &ts);
    return 0;
}

int trace_req_done(struct pt_regs *ctx, struct request *req)
{
    u64 *tsp = start.lookup(&req);
    if (tsp == 0)
        return 0; // issued before we attached
    u64 delta = (bpf_ktime_get_ns() - *tsp) / 1000;

    disk_key_t key = {};
    struct gendisk *disk = req->q->disk;
    bpf_probe_read_kernel_str(&key.disk, sizeof(key.disk), &disk->disk_name);
    u32 flags = req->cmd_flags;
    key.op = flags & REQ_OP_MASK;
    key.slot = bpf_log2l(delta);
    dist.atomic_increment(key);
    flag_counts.atomic_increment(key.op & 63);
    start.delete(&req);
    return 0;
}
// @attach kprobe:blk_mq_start_request -> trace_req_start
// @attach kprobe:blk_mq_end_request -> trace_req_done
