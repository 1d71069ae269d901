BPF_HASH(counts, u32, u64);
#define COUNTS counts
#define CALL COUNTS.increment
TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { CALL(1); counts.increment(); return 0; }
