// cachestat, BCC-tool style: one counting function attached by kprobe to several page-cache
// functions (6.x folio names), counted by instruction pointer as BCC does, plus per-process
// counts by function kind. Verified only here (this kernel has no kprobes to attach).
#include <uapi/linux/ptrace.h>
#include <linux/mm.h>
#include <linux/pagemap.h>

struct key_t {
    // NF_{APCL,MPA,MBD,APD}
    u32 nf;
    u32 pid;
    char comm[16];
};

enum {
    NF_APCL,    // page cache additions (misses)
    NF_MPA,     // mark accessed (hits + misses)
    NF_MBD,     // buffer dirtied
    NF_APD,     // folio dirtied
};

BPF_HASH(counts, struct key_t);
BPF_HASH(ip_counts, u64, u64, 64);

static int __do_count(void *ctx, u32 nf)
{
    struct key_t key = {};
    u64 pid = bpf_get_current_pid_tgid();

    key.nf = nf;
    key.pid = pid >> 32;
    bpf_get_current_comm(&(key.comm), 16);

    counts.increment(key);
    return 0;
}

int do_count_apcl(struct pt_regs *ctx) { return __do_count(ctx, NF_APCL); }
int do_count_mpa(struct pt_regs *ctx) { return __do_count(ctx, NF_MPA); }
int do_count_mbd(struct pt_regs *ctx) { return __do_count(ctx, NF_MBD); }
int do_count_apd(struct pt_regs *ctx) { return __do_count(ctx, NF_APD); }

// The original style: one function for every probe, keyed by the probed function's address.
int do_count(struct pt_regs *ctx)
{
    u64 ip = PT_REGS_IP(ctx);
    ip_counts.atomic_increment(ip);
    return 0;
}

// @attach kprobe:filemap_add_folio -> do_count_apcl
// @attach kprobe:folio_mark_accessed -> do_count_mpa
// @attach kprobe:mark_buffer_dirty -> do_count_mbd
// @attach kprobe:__folio_mark_dirty -> do_count_apd
// @attach kprobe:filemap_add_folio -> do_count
// @attach kprobe:folio_mark_accessed -> do_count
// @attach kprobe:mark_buffer_dirty -> do_count
// @attach kprobe:__folio_mark_dirty -> do_count
