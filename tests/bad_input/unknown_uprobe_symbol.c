// COMMAND: run FILE --duration 1
// EXPECT: mallocc
// EXPECT: did you mean .*malloc
// @attach uprobe:/lib/x86_64-linux-gnu/libc.so.6:mallocc -> on_malloc
#include <uapi/linux/ptrace.h>
BPF_ARRAY(calls, u64, 1);
int on_malloc(struct pt_regs *ctx) { calls.increment(0); return 0; }
