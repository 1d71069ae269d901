// Probe (3a), hand-written libbpf: one perf-buffer event per openat (pid, comm, filename).
#include "common.h"

struct sys_enter_openat_args {
    struct syscall_enter_common c;
    long dfd;
    const char *filename;
    long flags, mode;
};

struct open_event {
    u32 pid;
    char comm[16];
    char fname[128];
};

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, sizeof(int));
    __uint(value_size, sizeof(u32));
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int opensnoop(struct sys_enter_openat_args *args) {
    struct open_event ev = {};
    ev.pid = bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(&ev.comm, sizeof(ev.comm));
    bpf_probe_read_user_str(&ev.fname, sizeof(ev.fname), args->filename);
    bpf_perf_event_output(args, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
    return 0;
}
