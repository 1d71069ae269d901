// What the hand-written libbpf versions share: no vmlinux.h, only libbpf's headers and the
// tracepoint record layouts from /sys/kernel/tracing/events/*/*/format.
#pragma once
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef unsigned int u32;
typedef unsigned long long u64;

struct syscall_enter_common { // common_* fields (8 bytes) + __syscall_nr (padded to 16)
    u64 common;
    long syscall_nr;
};

char LICENSE[] SEC("license") = "GPL";
