#include "MultiLinks.h"

#include "ElfOffsets.h"
#include "jitprobe/common/Errors.h"

#include <bpf/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace jitprobe::detail {
namespace {

using common::UniqueFd;

constexpr const char *kKernelFunction = "vfs_read"; // in every kernel, traceable, not inlined
constexpr const char *kLibc = "/lib/x86_64-linux-gnu/libc.so.6";
constexpr __u32 kUprobeMultiReturn = 1; // BPF_F_UPROBE_MULTI_RETURN

// BPF_LINK_CREATE's uprobe_multi member, laid out as the kernel's UAPI has it (by syscall:
// libbpf 1.1 has no uprobe_multi).
struct UprobeMultiLinkAttr {
    __u32 prog_fd, target_fd, attach_type, flags;
    __aligned_u64 path, offsets, ref_ctr_offsets, cookies;
    __u32 cnt, multi_flags, pid, pad;
};

Result<UniqueFd> loadTiny(int expected) {
    const bpf_insn insns[] = {
        {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0}, // r0 = 0
        {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},                  // exit
    };
    LIBBPF_OPTS(bpf_prog_load_opts, opts,
                .expected_attach_type = static_cast<bpf_attach_type>(expected));
    int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "jp_multi", "GPL", insns, 2, &opts);
    if (fd < 0)
        return errnoStatus(-fd, "load");
    return UniqueFd(fd);
}

bool pathExists(const std::string &path) { return ::access(path.c_str(), F_OK) == 0; }

} // namespace

Result<UniqueFd> createKprobeMultiLink(int prog_fd, const std::vector<std::string> &syms,
                                       bool retprobe) {
    std::vector<const char *> names;
    for (const std::string &s : syms)
        names.push_back(s.c_str());
    LIBBPF_OPTS(bpf_link_create_opts, opts);
    opts.kprobe_multi.syms = names.data();
    opts.kprobe_multi.cnt = static_cast<__u32>(names.size());
    opts.kprobe_multi.flags = retprobe ? BPF_F_KPROBE_MULTI_RETURN : 0;
    int fd = bpf_link_create(prog_fd, 0, BPF_TRACE_KPROBE_MULTI, &opts);
    if (fd < 0)
        return errnoStatus(errno, "kprobe.multi link_create");
    return UniqueFd(fd);
}

Result<UniqueFd> createUprobeMultiLink(int prog_fd, const std::string &path,
                                       const std::vector<uint64_t> &offsets, bool retprobe,
                                       pid_t pid) {
    UprobeMultiLinkAttr attr{};
    attr.prog_fd = static_cast<__u32>(prog_fd);
    attr.attach_type = kTraceUprobeMulti;
    attr.path = reinterpret_cast<__u64>(path.c_str());
    attr.offsets = reinterpret_cast<__u64>(offsets.data());
    attr.cnt = static_cast<__u32>(offsets.size());
    attr.multi_flags = retprobe ? kUprobeMultiReturn : 0;
    attr.pid = pid > 0 ? static_cast<__u32>(pid) : 0;
    int fd = static_cast<int>(::syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof attr));
    if (fd < 0)
        return errnoStatus(errno, "uprobe.multi link_create");
    return UniqueFd(fd);
}

Status probeKprobeMultiLink() {
    Result<UniqueFd> prog = loadTiny(kTraceKprobeMulti);
    if (!prog.ok())
        return prog.status();
    Result<UniqueFd> link = createKprobeMultiLink(prog->get(), {kKernelFunction}, false);
    return link.ok() ? Status::OK() : link.status();
}

Status probeUprobeMultiLink() {
    Result<uint64_t> addr = elfFunctionAddress(kLibc, "getpid");
    Result<uint64_t> offset =
        addr.ok() ? elfVaddrToFileOffset(kLibc, *addr) : Result<uint64_t>(addr.status());
    if (!offset.ok())
        return offset.status();
    Result<UniqueFd> prog = loadTiny(kTraceUprobeMulti);
    if (!prog.ok())
        return prog.status();
    Result<UniqueFd> link = createUprobeMultiLink(prog->get(), kLibc, {*offset}, false, -1);
    return link.ok() ? Status::OK() : link.status();
}

const Status &kprobeMultiSupport() {
    static const Status support = probeKprobeMultiLink(); // thread-safe, once
    return support;
}

const Status &uprobeMultiSupport() {
    static const Status support = probeUprobeMultiLink();
    return support;
}

bool kernelHasKprobes(const std::string &tracefs_root) {
    return pathExists("/sys/bus/event_source/devices/kprobe/type") ||
           (!tracefs_root.empty() && pathExists(tracefs_root + "/kprobe_events"));
}

Result<WildcardLinks> chooseKprobeLinks(const std::string &what, bool has_kprobes,
                                        const Status &multi) {
    if (!has_kprobes)
        return Status(EOPNOTSUPP, what + ": this kernel has no kprobe support "
                                         "(CONFIG_KPROBES is not set)");
    return multi.ok() ? WildcardLinks::Multi : WildcardLinks::PerTarget;
}

} // namespace jitprobe::detail
