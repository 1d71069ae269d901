// BPF_CGROUP_ARRAY and check_current_task: the C++ API puts the test's own cgroup into slot 0;
// the probe counts openat calls by tasks under it ([0]) and by others ([1]).
BPF_CGROUP_ARRAY(cgroups, 1);
BPF_ARRAY(results, u64, 3);

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    int under = cgroups.check_current_task(0);
    results.increment(under == 1 ? 0 : under == 0 ? 1 : 2);
    return 0;
}
