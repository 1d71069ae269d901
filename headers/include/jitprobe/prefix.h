/* Everything a probe source sees before its first line. Precompiled once per kernel (PCH).
 * vmlinux.h and kernel_compat.h are generated in memory from this kernel's BTF. */
#ifndef __JITPROBE_PREFIX_H
#define __JITPROBE_PREFIX_H
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <jitprobe/kernel_compat.h>
#include <jitprobe/bcc.h>
#include <jitprobe/packet.h>
#endif
