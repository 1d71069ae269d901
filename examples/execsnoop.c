// execsnoop.c — trace new programs: one event per execve(), with its result.
//
// syscalls:sys_enter_execve records the path and the first arguments of the thread's exec
// attempt; syscalls:sys_exit_execve completes the record (pid, parent pid, uid, the comm after
// the exec and the return value) and sends it through a perf buffer. A failed attempt (a shell
// trying each $PATH directory) shows ret < 0 and the old comm; a successful one ret = 0 and the
// new program's comm.
//
// Run it:
//   jitprobe run examples/execsnoop.c -c "sh -c 'ls / >/dev/null; cat /etc/hostname'"
//   jitprobe run examples/execsnoop.c --duration 10 --format json
//
// Options (-D): ONLY_OK=1 reports successful execs only.

#include <linux/sched.h>

#define MAX_ARGS 4
#define ARG_LEN 40

struct exec_event {
    u32 pid;
    u32 ppid;
    u32 uid;
    int ret;
    char comm[16];
    char filename[128];
    char argv[MAX_ARGS][ARG_LEN];
};

BPF_HASH(pending, u32, struct exec_event, 1024);
BPF_PERF_OUTPUT(exec_events);

TRACEPOINT_PROBE(syscalls, sys_enter_execve)
{
    struct exec_event ev = {};
    u32 tid = bpf_get_current_pid_tgid();

    bpf_probe_read_user_str(&ev.filename, sizeof(ev.filename), args->filename);
#pragma unroll
    for (int i = 0; i < MAX_ARGS; i++) {
        const char *arg = NULL;
        if (bpf_probe_read_user(&arg, sizeof(arg), &args->argv[i]) != 0 || arg == NULL)
            break;
        bpf_probe_read_user_str(&ev.argv[i], ARG_LEN, arg);
    }
    pending.update(&tid, &ev);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_execve)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 tid = id;
    struct exec_event *ev = pending.lookup(&tid);
    if (ev == NULL)
        return 0;
#ifdef ONLY_OK
    if (args->ret != 0) {
        pending.delete(&tid);
        return 0;
    }
#endif
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    ev->pid = id >> 32;
    ev->ppid = task->real_parent->tgid;
    ev->uid = bpf_get_current_uid_gid();
    ev->ret = args->ret;
    bpf_get_current_comm(&ev->comm, sizeof(ev->comm));
    exec_events.perf_submit(args, ev, sizeof(*ev));
    pending.delete(&tid);
    return 0;
}
