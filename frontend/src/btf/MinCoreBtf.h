// A minimized kernel BTF for one BPF object: only the kernel types its CO-RE relocations
// consult (what `bpftool gen min_core_btf` produces). libbpf relocates against it through
// bpf_object_open_opts.btf_custom_path instead of parsing the whole /sys/kernel/btf/vmlinux
// (~5 MB, ~127k types, ~44 ms) on every start of a cached CO-RE probe.
//
// Correctness rule: for every relocation, the minimized BTF holds every kernel candidate
// libbpf would consider (same essential name, compatible kind), with the members on the
// relocation's access path (same bit offsets, bitfield sizes and member types' shape, same
// struct sizes). libbpf's matching then reaches the same candidates and computes the same
// values. Whatever cannot be shown equivalent (target type ids, deep type matching, no
// candidate in vmlinux so libbpf would search module BTFs, ...) is refused: the caller then
// loads with the full kernel BTF as before.
#pragma once
#include "jitprobe/Status.h"

#include <cstdint>
#include <string>
#include <vector>

struct btf;

namespace jitprobe::frontend {

struct CoreBtf {
    std::size_t relocations = 0; // CO-RE relocation records in the object (0: no CO-RE)
    std::vector<std::uint8_t> btf; // raw BTF (btf__raw_data); empty when relocations == 0
    std::size_t types = 0;         // types in it
};

// Minimizes KERNEL (a parsed kernel BTF) for the CO-RE relocations of ELF (a BPF object as the
// frontend emits it). An error says why no equivalent minimized BTF can be made.
Result<CoreBtf> minimizeCoreBtf(const std::vector<std::uint8_t> &elf, const struct btf *kernel);

// The same, parsing the kernel BTF at KERNEL_BTF_PATH only when the object has CO-RE
// relocations (an object without any costs no BTF parse).
Result<CoreBtf> minimizeCoreBtf(const std::vector<std::uint8_t> &elf,
                                const std::string &kernel_btf_path);

// Number of CO-RE relocation records in ELF's .BTF.ext (0 when it has none or no .BTF.ext).
Result<std::size_t> countCoreRelocations(const std::vector<std::uint8_t> &elf);

} // namespace jitprobe::frontend
