TRACEPOINT_PROBE(syscalls, sys_enter_getpid)
TRACEPOINT_PROBE(syscalls, sys_enter_getpid) { return 0; }
TRACEPOINT_PROBE(,) { return 0; }
TRACEPOINT_PROBE(syscalls) { return 0; }
RAW_TRACEPOINT_PROBE() { return 0; }
