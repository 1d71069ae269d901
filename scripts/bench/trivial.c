// Probe (1), jitprobe/BCC dialect: the smallest useful program, a tracepoint that does nothing.
TRACEPOINT_PROBE(syscalls, sys_enter_getppid)
{
    return 0;
}
