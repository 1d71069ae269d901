// BPF LSM: file_open for the test command's processes; counts opens of the marker file by
// its dentry name (allows everything).
#include <linux/fs.h>
BPF_ARRAY(counts, u64, 2);

LSM_PROBE(file_open, struct file *file)
{
    if ((bpf_get_current_pid_tgid() >> 32) != TARGET_PID)
        return 0;
    counts.increment(0);
    char name[24] = {};
    bpf_probe_read_kernel_str(name, sizeof(name), file->f_path.dentry->d_name.name);
    const char want[] = "jitprobe-vm-marker";
    for (int i = 0; i < sizeof(want); i++) {
        if (name[i] != want[i])
            return 0;
    }
    counts.increment(1);
    return 0;
}
