// BCC probe sources #include kernel headers, but this machine has none and every kernel type
// already comes from the BTF-derived vmlinux.h: the frontend serves these paths as empty files.
// BTF carries no macros, so the constants BCC tools take from those headers are provided here.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace jitprobe::frontend {

// Include paths ("linux/sched.h", "uapi/linux/ptrace.h", "net/sock.h", ...) to serve as empty.
// Not bcc/proto.h: its packet header structs are an embedded header (headers/include/bcc/).
const std::vector<std::string_view> &kernelIncludeStubs();

// Is RELATIVE ("linux/time64.h", "rdma/rdma_cm.h") a kernel include? Every header under linux/,
// uapi/, asm/, asm-generic/, net/, rdma/, scsi/, trace/ and bcc/proto.h: its types are already
// in vmlinux.h and its macros in kernelCompatMacros(), so it is served as an empty file and never
// reported "file not found". Also true for the directories on the way ("linux", "linux/sched").
[[nodiscard]] bool isKernelIncludePath(std::string_view relative);

// `#undef` lines for the member shortcuts of the kernel struct RECORD ("sock": sk_daddr,
// sk_family, ...; "inet_sock": inet_daddr, ...), for a probe that defines that struct itself:
// its own members must keep their names. Empty for other records.
[[nodiscard]] std::string memberShortcutUndefs(std::string_view record);

// `#ifndef NAME / #define NAME ... / #endif` blocks for kernel-header macros (TASK_RUNNING,
// PAGE_SIZE, AF_INET, O_*, MKDEV, sk_family, ...). Only names that are never enumerators in
// BTF, so the text is valid before or after vmlinux.h. No includes.
std::string_view kernelCompatMacros();

// kernelCompatMacros() plus the macros that some kernels define as enumerators instead
// (TASK_COMM_LEN, TCP_ESTABLISHED, IPPROTO_TCP, SOCK_STREAM, ...): each is added only when
// `vmlinux_header` (generateVmlinuxHeader's output) has no enumerator of that name.
// Place the result after vmlinux.h.
std::string kernelCompatMacros(std::string_view vmlinux_header);

} // namespace jitprobe::frontend
