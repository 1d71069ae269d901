// mallocsize.c — how big are the allocations? A log2 histogram of malloc() request sizes.
//
// A uprobe on glibc's malloc (attached by the @attach directive below) reads the requested
// size from the first argument register. Every process that uses glibc is traced; by default
// only processes whose comm is "python3" are counted (ONLY_COMM), per process name with
// -D BY_COMM=1. alloc_bytes sums the requested bytes per comm.
//
// Run it:
//   jitprobe run examples/mallocsize.c -c "python3 -c 'keep = [bytearray(5000) for _ in range(50)]'"
//   jitprobe run examples/mallocsize.c -D 'ONLY_COMM="ls"' -c "ls -lR /usr/share/doc >/dev/null"
//   jitprobe run examples/mallocsize.c -D ALL=1 -D BY_COMM=1 --duration 5   # every process
//
// Options (-D): ONLY_COMM="name" (default "python3"), ALL=1 (no comm filter), BY_COMM=1.
//
// @attach uprobe:/lib/x86_64-linux-gnu/libc.so.6:malloc -> on_malloc

#include <uapi/linux/ptrace.h>

#ifndef ONLY_COMM
#define ONLY_COMM "python3"
#endif

struct comm_key {
    char comm[16];
};

struct comm_slot {
    char comm[16];
    u64 slot;
};

BPF_HASH(alloc_bytes, struct comm_key, u64, 1024);
#ifdef BY_COMM
BPF_HISTOGRAM(malloc_size, struct comm_slot, 4096);
#else
BPF_HISTOGRAM(malloc_size);
#endif

static __always_inline int comm_wanted(const char *comm)
{
#ifndef ALL
    const char want[] = ONLY_COMM;
    for (int i = 0; i < sizeof(want); i++) {
        if (comm[i] != want[i])
            return 0;
    }
#endif
    return 1;
}

int on_malloc(struct pt_regs *ctx)
{
    struct comm_key ck = {};
    bpf_get_current_comm(&ck.comm, sizeof(ck.comm));
    if (!comm_wanted(ck.comm))
        return 0;
    u64 size = PT_REGS_PARM1(ctx);
    alloc_bytes.increment(ck, size);
#ifdef BY_COMM
    struct comm_slot hk = {};
    __builtin_memcpy(hk.comm, ck.comm, sizeof(hk.comm));
    hk.slot = bpf_log2l(size);
    malloc_size.increment(hk);
#else
    malloc_size.increment(bpf_log2l(size));
#endif
    return 0;
}
