// syscount.c — count system calls, by syscall and by process name.
//
// Every syscall entry on the machine (raw_syscalls:sys_enter) bumps two counters:
//   syscalls  keyed by {nr, name}  — the x86_64 syscall number and, for the common ones, its name
//   by_comm   keyed by {comm}      — the name of the calling process
// At exit jitprobe prints both maps, largest counts first.
//
// Run it:
//   jitprobe run examples/syscount.c --duration 3                # whole system for 3 s
//   jitprobe run examples/syscount.c -c "ls /"                   # while `ls /` runs
//   jitprobe run examples/syscount.c -c "ls /" --format json     # JSON Lines
//   jitprobe run examples/syscount.c -D ONLY_COMM='"ls"' -c "ls /"   # only processes named ls
//
// Options (-D): ONLY_COMM="name" counts only processes with that comm.

struct syscall_key {
    u32 nr;
    char name[20];
};

struct comm_key {
    char comm[16];
};

BPF_HASH(syscalls, struct syscall_key, u64, 1024);
BPF_HASH(by_comm, struct comm_key, u64, 4096);

#define NAME(num, str)                                \
    case num:                                         \
        __builtin_memcpy(out, str, sizeof(str));      \
        break;

/* Names for the syscalls a typical process makes (x86_64 numbering); others stay numeric. */
static __always_inline void syscall_name(u32 nr, char *out)
{
    switch (nr) {
    NAME(0, "read") NAME(1, "write") NAME(2, "open") NAME(3, "close") NAME(4, "stat")
    NAME(5, "fstat") NAME(6, "lstat") NAME(7, "poll") NAME(8, "lseek") NAME(9, "mmap")
    NAME(10, "mprotect") NAME(11, "munmap") NAME(12, "brk") NAME(13, "rt_sigaction")
    NAME(14, "rt_sigprocmask") NAME(15, "rt_sigreturn") NAME(16, "ioctl") NAME(17, "pread64")
    NAME(18, "pwrite64") NAME(19, "readv") NAME(20, "writev") NAME(21, "access")
    NAME(22, "pipe") NAME(23, "select") NAME(24, "sched_yield") NAME(28, "madvise")
    NAME(32, "dup") NAME(33, "dup2") NAME(35, "nanosleep") NAME(39, "getpid")
    NAME(41, "socket") NAME(42, "connect") NAME(43, "accept") NAME(44, "sendto")
    NAME(45, "recvfrom") NAME(46, "sendmsg") NAME(47, "recvmsg") NAME(49, "bind")
    NAME(50, "listen") NAME(54, "setsockopt") NAME(56, "clone") NAME(57, "fork")
    NAME(58, "vfork") NAME(59, "execve") NAME(60, "exit") NAME(61, "wait4") NAME(62, "kill")
    NAME(63, "uname") NAME(72, "fcntl") NAME(79, "getcwd") NAME(80, "chdir")
    NAME(83, "mkdir") NAME(87, "unlink") NAME(88, "symlink") NAME(89, "readlink")
    NAME(95, "umask") NAME(98, "getrusage") NAME(99, "sysinfo") NAME(117, "setresuid")
    NAME(119, "setresgid") NAME(221, "fadvise64") NAME(96, "gettimeofday") NAME(97, "getrlimit") NAME(102, "getuid")
    NAME(104, "getgid") NAME(107, "geteuid") NAME(108, "getegid") NAME(110, "getppid")
    NAME(137, "statfs") NAME(158, "arch_prctl") NAME(186, "gettid") NAME(202, "futex")
    NAME(217, "getdents64") NAME(218, "set_tid_address") NAME(228, "clock_gettime")
    NAME(230, "clock_nanosleep") NAME(231, "exit_group") NAME(232, "epoll_wait")
    NAME(233, "epoll_ctl") NAME(234, "tgkill") NAME(257, "openat") NAME(262, "newfstatat")
    NAME(270, "pselect6") NAME(271, "ppoll") NAME(273, "set_robust_list")
    NAME(281, "epoll_pwait") NAME(293, "pipe2") NAME(302, "prlimit64") NAME(318, "getrandom")
    NAME(321, "bpf") NAME(332, "statx") NAME(334, "rseq") NAME(435, "clone3")
    NAME(439, "faccessat2")
    default:
        break;
    }
}

static __always_inline int comm_wanted(const char *comm)
{
#ifdef ONLY_COMM
    const char want[] = ONLY_COMM;
    for (int i = 0; i < sizeof(want); i++) {
        if (comm[i] != want[i])
            return 0;
    }
#endif
    return 1;
}

TRACEPOINT_PROBE(raw_syscalls, sys_enter)
{
    struct comm_key ck = {};
    bpf_get_current_comm(&ck.comm, sizeof(ck.comm));
    if (!comm_wanted(ck.comm))
        return 0;

    struct syscall_key sk = {};
    sk.nr = args->id;
    syscall_name(sk.nr, sk.name);

    syscalls.increment(sk);
    by_comm.increment(ck);
    return 0;
}
