// profile, BCC-tool style: a perf_event program on the software cpu-clock event counting
// samples by {pid, user stack, kernel stack, name}, with BCC's idle filter and the kernel IP
// taken from the sampled registers when the stack walk fails.
// @attach perf_event:software:cpu-clock:freq=49 -> do_perf_event
#include <uapi/linux/ptrace.h>
#include <uapi/linux/bpf_perf_event.h>
#include <linux/sched.h>

struct key_t {
    u32 pid;
    u64 kernel_ip;
    int user_stack_id;
    int kernel_stack_id;
    char name[TASK_COMM_LEN];
};
BPF_HASH(counts, struct key_t);
BPF_STACK_TRACE(stack_traces, 16384);

// This code gets a bit complex. Probably not suitable for casual hacking.
int do_perf_event(struct bpf_perf_event_data *ctx)
{
    u32 tgid = 0;
    u32 pid = 0;

    struct bpf_pidns_info ns = {};
    if (bpf_get_ns_current_pid_tgid(0, 0, &ns, sizeof(struct bpf_pidns_info)) == 0) {
        tgid = ns.tgid;
        pid = ns.pid;
    } else {
        u64 id = bpf_get_current_pid_tgid();
        tgid = id >> 32;
        pid = id;
    }

    if (pid == 0)
        return 0;   // idle

    // create map key
    struct key_t key = {.pid = tgid};
    bpf_get_current_comm(&key.name, sizeof(key.name));

    key.user_stack_id = stack_traces.get_stackid(&ctx->regs, BPF_F_USER_STACK);
    key.kernel_stack_id = stack_traces.get_stackid(&ctx->regs, 0);

    if (key.kernel_stack_id >= 0) {
        // populate extras to fix the kernel stack
        u64 ip = PT_REGS_IP(&ctx->regs);
        u64 page_offset = 0xffff800000000000;
        // if ip isn't sane, leave key ips as zero for later checking
        if (ip > page_offset)
            key.kernel_ip = ip;
    }

    counts.increment(key);
    return 0;
}
