BPF_HASH(counts, u32, u64);
#define INC(m, k) m.increment(k)
#define LOOK(m, k) m.lookup(&k)
TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { u32 k = 1; INC(counts, k); u64 *v = LOOK(counts, k); return v ? 0 : 1; }
