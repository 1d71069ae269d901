// syscount, BCC-tool style: raw_syscalls enter/exit tracepoints; per syscall id a struct value
// with the call count and the total latency in nsecs, errors (ret < 0) counted apart, and a
// second map keyed by process id.
#include <uapi/linux/ptrace.h>

struct data_t {
    u64 count;
    u64 total_ns;
};

BPF_HASH(start, u64, u64);
BPF_HASH(data, u32, struct data_t);
BPF_HASH(errors, u32, u64);
BPF_HASH(by_pid, u32, struct data_t);

TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
    u64 pid_tgid = bpf_get_current_pid_tgid();
    u64 t = bpf_ktime_get_ns();
    start.update(&pid_tgid, &t);
    return 0;
}

TRACEPOINT_PROBE(raw_syscalls, sys_exit)
{
    u64 pid_tgid = bpf_get_current_pid_tgid();
    u32 key = args->id;
    u32 pid = pid_tgid >> 32;

    u64 *start_ns = start.lookup(&pid_tgid);
    if (!start_ns)
        return 0;
    u64 delta = bpf_ktime_get_ns() - *start_ns;
    start.delete(&pid_tgid);

    if (args->ret < 0)
        errors.increment(key);

    struct data_t *val, zero = {};
    val = data.lookup_or_try_init(&key, &zero);
    if (val) {
        lock_xadd(&val->count, 1);
        lock_xadd(&val->total_ns, delta);
    }
    val = by_pid.lookup_or_init(&pid, &zero);
    if (val) {
        val->count++;
        val->total_ns += delta;
    }
    return 0;
}
