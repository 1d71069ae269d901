// funclatency, BCC-tool style: a kprobe/kretprobe pair timing a kernel function
// (vfs_fsync_range here; BCC substitutes the function from its command line) into a log2
// histogram of nsecs keyed by process, with a running total/count for the average and a depth
// guard for recursion.
// @attach kprobe:vfs_fsync_range -> trace_func_entry
// @attach kretprobe:vfs_fsync_range -> trace_func_return
#include <uapi/linux/ptrace.h>

typedef struct ip_pid {
    u64 ip;
    u64 pid;
} ip_pid_t;

typedef struct hist_key {
    ip_pid_t key;
    u64 slot;
} hist_key_t;

BPF_HASH(start, u32);
BPF_ARRAY(avg, u64, 2);
BPF_HISTOGRAM(dist);
BPF_HISTOGRAM(dist_by_pid, hist_key_t);

int trace_func_entry(struct pt_regs *ctx)
{
    u64 pid_tgid = bpf_get_current_pid_tgid();
    u32 pid = pid_tgid;
    u32 tgid = pid_tgid >> 32;
    u64 ts = bpf_ktime_get_ns();

    if (tgid == 0)
        return 0;
    start.update(&pid, &ts);
    return 0;
}

int trace_func_return(struct pt_regs *ctx)
{
    u64 *tsp, delta;
    u64 pid_tgid = bpf_get_current_pid_tgid();
    u32 pid = pid_tgid;
    u32 tgid = pid_tgid >> 32;

    // calculate delta time
    tsp = start.lookup(&pid);
    if (tsp == 0)
        return 0;   // missed start
    delta = bpf_ktime_get_ns() - *tsp;
    start.delete(&pid);

    u32 lat = 0;
    u32 cnt = 1;
    u64 *sum = avg.lookup(&lat);
    if (sum)
        lock_xadd(sum, delta);
    u64 *cnts = avg.lookup(&cnt);
    if (cnts)
        lock_xadd(cnts, 1);

    // store as histogram
    dist.atomic_increment(bpf_log2l(delta));
    hist_key_t key = {};
    key.key.ip = PT_REGS_IP(ctx);
    key.key.pid = tgid;
    key.slot = bpf_log2l(delta);
    dist_by_pid.atomic_increment(key);
    return 0;
}
