#include <linux/sched.h>
TRACEPOINT_PROBE(sched, sched_switch) {
  struct task_struct *t = (struct task_struct *)bpf_get_current_task();
  int a = ((struct task_struct *)0)->pid;
  int b = t->real_parent->real_parent->real_parent->pid + (t->pid ? t->tgid : t->real_parent->tgid);
  int c = (t)->mm->mmap_base, d = (&*t)->pid, e = t[0].pid, f = (t + 1)->pid;
  return a + b + c + d + e + f;
}
