// Drops DWARF sections (.debug_*, and their relocations) from a BPF ELF object. libbpf never
// reads them, but the frontend embeds every source it saw - vmlinux.h included - in
// .debug_line_str, so an object of a few KiB of code weighs ~3 MiB: too much to hash, read and
// keep in memory for every cached start. BTF (with its line info) is kept untouched.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace jitprobe::detail {

// OUT: IN without debug sections. false (+ WHY) if IN is not an ELF64 little-endian object this
// function understands; OUT is then unspecified and the caller should keep IN.
bool stripDebugSections(const std::vector<std::uint8_t> &in, std::vector<std::uint8_t> &out,
                        std::string &why);

} // namespace jitprobe::detail
