// kprobe.multi / uprobe.multi links (issue 16): one BPF link for every target of a wildcard,
// where the kernel has them; and the probes that say whether it does (also `jitprobe info`).
#pragma once
#include "jitprobe/Status.h"
#include "jitprobe/common/UniqueFd.h"

#include <linux/bpf.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace jitprobe::detail {

// BPF_TRACE_UPROBE_MULTI (kernel 6.6) is newer than Debian 12's libbpf 1.1 and <linux/bpf.h>.
constexpr int kTraceUprobeMulti = 48;
constexpr int kTraceKprobeMulti = BPF_TRACE_KPROBE_MULTI;

// Whether this kernel makes such links: a two-instruction program loaded with the multi
// expected attach type and linked for real (to vfs_read / libc's getpid), then closed. OK or why
// not ("link_create: EOPNOTSUPP").
[[nodiscard]] Status probeKprobeMultiLink();
[[nodiscard]] Status probeUprobeMultiLink();
// The same, probed once per process (attach decisions).
const Status &kprobeMultiSupport();
const Status &uprobeMultiSupport();

// CONFIG_KPROBES=n leaves neither the kprobe PMU nor tracefs' kprobe_events.
bool kernelHasKprobes(const std::string &tracefs_root);

enum class WildcardLinks { Multi, PerTarget };
// How a kprobe wildcard attaches: EOPNOTSUPP ("this kernel has no kprobe support") without
// kprobes, else one kprobe.multi link if MULTI (kprobeMultiSupport()) is OK, else one per target.
[[nodiscard]] Result<WildcardLinks> chooseKprobeLinks(const std::string &what, bool has_kprobes,
                                                      const Status &multi);

// PROG_FD (loaded with the multi expected attach type) linked to every one of SYMS / to every
// file offset of PATH (for process PID only if > 0). The link fd; closing it detaches.
[[nodiscard]] Result<common::UniqueFd> createKprobeMultiLink(int prog_fd,
                                                             const std::vector<std::string> &syms,
                                                             bool retprobe);
[[nodiscard]] Result<common::UniqueFd> createUprobeMultiLink(int prog_fd, const std::string &path,
                                                             const std::vector<uint64_t> &offsets,
                                                             bool retprobe, pid_t pid);

} // namespace jitprobe::detail
