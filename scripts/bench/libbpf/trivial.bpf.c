// Probe (1), hand-written libbpf: a tracepoint that does nothing.
#include "common.h"

SEC("tracepoint/syscalls/sys_enter_getppid")
int trivial(void *ctx) { return 0; }
