// Drops DWARF sections (.debug_*, and their relocations) from a BPF ELF object. libbpf never
// reads them, but the frontend embeds every source it saw - vmlinux.h included - in
// .debug_line_str, so an object of a few KiB of code weighs ~3 MiB: too much to hash, read and
// keep in memory for every cached start. BTF (with its line info) is kept untouched.
#pragma once
#include "jitprobe/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace jitprobe::detail {

// IN without debug sections, or ENOEXEC (saying why) when IN is not an ELF64 little-endian
// object this function understands; the caller then keeps IN. Written by hand, not with libelf:
// libelf writes ELF files only through a file descriptor, and this runs on every cache store
// over bytes in memory. Why here and not in jitprobe-compiler with LLVM's ObjCopy library
// (measured 2026-12-03 on the 2-core builder, a 0.9 MB ELF with DWARF, 100 runs each): this
// takes 0.014 ms, llvm::objcopy::executeObjcopyOnBinary with StripDebug 0.95 ms; for a ~3 MiB
// probe object that is ~3 ms of ObjCopy in the compiler against the ~2.5 ms it saves on the pipe
// (3 MiB through a pipe, best of 20), so stripping in the compiler would not be faster.
[[nodiscard]] Result<std::vector<std::uint8_t>> stripDebugSections(const std::vector<std::uint8_t> &in);

} // namespace jitprobe::detail
