// Probe (4), hand-written libbpf: read() latency as a log2 histogram from two tracepoints.
#include "common.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10240);
    __type(key, u32);
    __type(value, u64);
} start SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 64); // BCC's BPF_HISTOGRAM default
    __type(key, int);
    __type(value, u64);
} dist SEC(".maps");

// BCC's bpf_log2l (floor(log2(v)) + 1, and 1 for 0), as one 64-bit shift sequence instead of
// BCC's two inlined 32-bit ones
static __always_inline unsigned int log2l(u64 v) {
    unsigned int r = 0, shift;
    if (v == 0)
        return 1;
    r = (v > 0xFFFFFFFFULL) << 5; v >>= r;
    shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
    shift = (v > 0xFF) << 3; v >>= shift; r |= shift;
    shift = (v > 0xF) << 2; v >>= shift; r |= shift;
    shift = (v > 0x3) << 1; v >>= shift; r |= shift;
    r |= (v >> 1);
    return r + 1;
}

SEC("tracepoint/syscalls/sys_enter_read")
int read_enter(void *ctx) {
    u32 tid = bpf_get_current_pid_tgid();
    u64 ts = bpf_ktime_get_ns();
    bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
    return 0;
}

SEC("tracepoint/syscalls/sys_exit_read")
int read_exit(void *ctx) {
    u32 tid = bpf_get_current_pid_tgid();
    u64 *tsp = bpf_map_lookup_elem(&start, &tid);
    if (!tsp)
        return 0;
    u64 delta = bpf_ktime_get_ns() - *tsp;
    bpf_map_delete_elem(&start, &tid);
    int slot = log2l(delta);
    u64 *c = bpf_map_lookup_elem(&dist, &slot);
    if (c) // an array slot always exists: no insert fallback
        *c += 1;
    return 0;
}
