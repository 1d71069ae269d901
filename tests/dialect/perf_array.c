// BPF_PERF_ARRAY with perf_read and perf_counter_value: the runtime opens a software counter
// (cpu-clock) on every CPU into `clocks` (C++ API: open_perf_event). The probe reads the
// current CPU's counter on each openat by "jpdialect".
BPF_PERF_ARRAY(clocks, 64);
// [0] perf_read successes, [1] perf_read failures, [2] last value,
// [3] perf_counter_value successes, [4] last enabled time
BPF_ARRAY(results, u64, 5);

static __always_inline bool is_trigger(void) {
    char comm[16];
    bpf_get_current_comm(&comm, sizeof(comm));
    const char want[] = "jpdialect";
    for (int i = 0; i < sizeof(want); i++)
        if (comm[i] != want[i])
            return false;
    return true;
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat) {
    if (!is_trigger())
        return 0;
    u64 v = clocks.perf_read(CUR_CPU_IDENTIFIER);
    if ((s64)v < 0 && (s64)v > -4096) {
        results.increment(1);
    } else {
        int slot = 2;
        results.increment(0);
        results.update(&slot, &v);
    }
    struct bpf_perf_event_value val = {};
    if (clocks.perf_counter_value(CUR_CPU_IDENTIFIER, &val, sizeof(val)) == 0) {
        int slot = 4;
        u64 enabled = val.enabled;
        results.increment(3);
        results.update(&slot, &enabled);
    }
    return 0;
}
