BPF_PERF_OUTPUT(ev);
struct s { int m; };
TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { struct s x = {}; ev.perf_submit(); ev.perf_submit(args); ev.perf_submit(args, &x, sizeof(x), 1, 2); x.m.increment(1); return 0; }
