BPF_HASH(counts, u32, u64);
int helper(struct pt_regs *ctx);
TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { u32 k; (counts).increment(k); (&counts)->increment(k); counts.increment(k, counts.increment(k)); return 0; }
