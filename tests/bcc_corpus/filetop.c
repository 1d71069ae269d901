// filetop, BCC-tool style: kprobes on vfs_read/vfs_write with typed arguments; the file name
// comes from file->f_path.dentry->d_name (a struct qstr), the type from the inode mode; reads
// and writes are summed per {pid, comm, name, type} in a struct value.
#include <uapi/linux/ptrace.h>
#include <linux/blkdev.h>
#include <linux/fs.h>

#define DNAME_INLINE_LEN 32

struct info_t {
    unsigned long inode;
    dev_t dev;
    dev_t rdev;
    u32 pid;
    u32 name_len;
    char comm[TASK_COMM_LEN];
    char name[DNAME_INLINE_LEN];
    char type;
};

struct val_t {
    u64 reads;
    u64 writes;
    u64 rbytes;
    u64 wbytes;
};

BPF_HASH(counts, struct info_t, struct val_t);

static int do_entry(struct pt_regs *ctx, struct file *file, char __user *buf, size_t count,
                    int is_read)
{
    u32 tgid = bpf_get_current_pid_tgid() >> 32;

    // skip I/O lacking a filename. f_path and d_name sit in anonymous unions on 6.x kernels:
    // read them explicitly (jitprobe's automatic CO-RE rewrite mishandles anonymous members).
    struct dentry *de = NULL;
    struct qstr d_name = {};
    bpf_probe_read_kernel(&de, sizeof(de), &file->f_path.dentry);
    bpf_probe_read_kernel(&d_name, sizeof(d_name), &de->d_name);
    int mode = file->f_inode->i_mode;
    if (d_name.len == 0)
        return 0;

    // store counts and sizes by pid & file
    struct info_t info = {
        .pid = tgid,
        .inode = file->f_inode->i_ino,
        .dev = file->f_inode->i_sb->s_dev,
        .rdev = file->f_inode->i_rdev,
    };
    bpf_get_current_comm(&info.comm, sizeof(info.comm));
    info.name_len = d_name.len;
    bpf_probe_read_kernel(&info.name, sizeof(info.name), d_name.name);
    if (S_ISREG(mode)) {
        info.type = 'R';
    } else if (S_ISSOCK(mode)) {
        info.type = 'S';
    } else {
        info.type = 'O';
    }

    struct val_t *valp, zero = {};
    valp = counts.lookup_or_try_init(&info, &zero);
    if (valp) {
        if (is_read) {
            valp->reads++;
            valp->rbytes += count;
        } else {
            valp->writes++;
            valp->wbytes += count;
        }
    }
    return 0;
}

int trace_read_entry(struct pt_regs *ctx, struct file *file, char __user *buf, size_t count)
{
    return do_entry(ctx, file, buf, count, 1);
}

int trace_write_entry(struct pt_regs *ctx, struct file *file, char __user *buf, size_t count)
{
    return do_entry(ctx, file, buf, count, 0);
}

// @attach kprobe:vfs_read -> trace_read_entry
// @attach kprobe:vfs_write -> trace_write_entry
