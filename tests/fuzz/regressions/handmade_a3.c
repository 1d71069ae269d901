BPF_HASH(counts, u32, u64);
BPF_HASH(counts, u32, u64);
BPF_TABLE("hash", u32, u64, t0, 0);
BPF_TABLE("nonsense", u32, u64, t1, -1);
BPF_ARRAY(big, u64, 4294967295);
TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { int x = counts; return counts.lookup; }
