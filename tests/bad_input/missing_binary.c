// COMMAND: run FILE --duration 1
// EXPECT: /no/such/dir/binary
// EXPECT: ENOENT|no such file|does not exist|not found
// @attach uprobe:/no/such/dir/binary:main -> on_main
#include <uapi/linux/ptrace.h>
BPF_ARRAY(calls, u64, 1);
int on_main(struct pt_regs *ctx) { calls.increment(0); return 0; }
