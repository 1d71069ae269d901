int kprobe__do_sys_open(struct pt_regs *ctx, int a, int b, int c, int d, int e, int f, int g, ...) { return a+g; }
int kretprobe__(struct pt_regs *ctx) { return 0; }
int kprobe__x(int notctx) { return 0; }
int kprobe__y() { return 0; }
