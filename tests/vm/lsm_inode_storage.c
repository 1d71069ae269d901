// BPF LSM + inode local storage, given the renamed dentry's inode as the verifier's BTF
// pointer (old_dentry->d_inode stays a load, not a probe read). Each rename of a file whose
// name starts with "jpren" counts the renames of that inode in its storage; seen[N] counts the
// renames after which the inode's count was N (N >= 3 in seen[3]), seen[0] those with no storage.
// Three renames of one file and one of another: seen[1] = 2, seen[2] = 1, seen[3] = 1.
#include <linux/fs.h>
BPF_INODE_STORAGE(renames, u64);
BPF_ARRAY(seen, u64, 4);

LSM_PROBE(inode_rename, struct inode *old_dir, struct dentry *old_dentry, struct inode *new_dir,
          struct dentry *new_dentry, unsigned int flags)
{
    char name[8] = {};
    bpf_probe_read_kernel_str(name, sizeof(name), old_dentry->d_name.name);
    if (name[0] != 'j' || name[1] != 'p' || name[2] != 'r' || name[3] != 'e' || name[4] != 'n')
        return 0;
    struct inode *inode = old_dentry->d_inode;
    u64 *n = renames.inode_storage_get(inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
    if (!n) {
        seen.increment(0);
        return 0;
    }
    *n += 1;
    seen.increment(*n < 3 ? *n : 3);
    return 0;
}
