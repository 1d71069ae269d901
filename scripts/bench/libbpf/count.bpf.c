// Probe (2), hand-written libbpf: count every syscall by process id.
#include "common.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10240); // BCC's default size
    __type(key, u32);
    __type(value, u64);
} counts SEC(".maps");

SEC("tracepoint/raw_syscalls/sys_enter")
int count(void *ctx) {
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    u64 *v = bpf_map_lookup_elem(&counts, &pid);
    if (v) {
        *v += 1; // BCC's increment() is a plain +=; atomic_increment() is the xadd
    } else {
        u64 one = 1;
        bpf_map_update_elem(&counts, &pid, &one, BPF_NOEXIST);
    }
    return 0;
}
