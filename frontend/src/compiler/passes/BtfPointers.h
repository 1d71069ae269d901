// Pointers the verifier tracks by BTF type in fentry/fexit/fmod_ret/LSM/tp_btf programs.
//
// libbpf's BPF_PROG (behind KFUNC_PROBE, KRETFUNC_PROBE, KMOD_RET, LSM_PROBE, TP_BTF_PROBE)
// puts the body in `____NAME(ctx, typed arguments...)`. There, a typed argument that points
// to a kernel struct is a BTF pointer (PTR_TO_BTF_ID), and so is a struct pointer loaded
// directly through one (`old_dentry->d_inode`). Helpers such as bpf_inode_storage_get,
// bpf_task_storage_get or bpf_sk_storage_get accept only such pointers: a copy made with
// bpf_probe_read_kernel is a plain number to the verifier. CoreReadPass leaves these loads
// as written, as BCC does in these programs.
#pragma once
#include "compiler/passes/Pass.h"

#include <map>
#include <set>
#include <vector>

namespace jitprobe::frontend {

class BtfPointers {
  public:
    explicit BtfPointers(PassContext &ctx);

    // Is FN the body of a BTF-typed program (`____lsm__inode_rename`)?
    [[nodiscard]] bool isBtfProgramBody(const clang::FunctionDecl *fn) const;

    // Is E (in such a body) a pointer to a kernel struct the verifier tracks: a typed argument,
    // a struct pointer member loaded through one (`.` members between arrows included), a cast
    // of one, or a local every value of which is one?
    [[nodiscard]] bool isTracked(const clang::Expr *e, int depth = 0) const;

  private:
    bool isKernelStructPointer(clang::QualType type) const;
    bool trackedVariable(const clang::VarDecl *var, int depth) const;

    const clang::SourceManager &sm_;
    std::set<const clang::FunctionDecl *> bodies_;
    // `p = EXPR;` for each local pointer p of those bodies.
    std::map<const clang::VarDecl *, std::vector<const clang::Expr *>> assigned_;
};

} // namespace jitprobe::frontend
