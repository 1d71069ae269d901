BPF_HASH(h, struct nonexistent, u64);
BPF_HASH(h2, u32);
BPF_HASH(h3);
BPF_HASH();
BPF_HISTOGRAM(hist, struct { int slot; });
TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { h2.increment(bpf_log2l(3)); hist.increment(0); h3.update(0,0); return 0; }
