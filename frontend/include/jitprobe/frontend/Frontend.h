// The frontend's whole interface: probe source in; rewritten source, program info and a BPF ELF
// object out. Pure: it reads kernel BTF (and tracepoint formats) for types, never loads or
// attaches anything. This header pulls in no Clang/LLVM: the runtime shares these types with the
// jitprobe-compiler process it starts on a cache miss (see ProcessPipe.h).
#pragma once
#include "jitprobe/frontend/CompileTimes.h"
#include "jitprobe/frontend/Diagnostic.h"
#include "jitprobe/frontend/ProgramInfo.h"

#include <cstdint>
#include <string>
#include <vector>

namespace jitprobe::frontend {

struct CompileOptions {
    std::string file_name = "<probe>";  // shown in diagnostics
    std::vector<std::string> cflags;     // driver-style: -DNAME=VALUE, -IDIR, -Wno-...
    std::string kernel_btf_path = "/sys/kernel/btf/vmlinux";
    std::string tracefs_path = "/sys/kernel/tracing";
    std::string cache_dir;              // where the kernel-type PCH lives; empty: no PCH
    bool want_ir = false;
    bool want_asm = false;
    // Stop after parse + rewrite passes: no code generation (no forked child, no object).
    // ok then means "the source is valid"; used by `check`-style callers and the fuzzer.
    bool stop_after_rewrite = false;
    // Also minimize the kernel BTF for the object's CO-RE relocations (CompileResult::core_btf),
    // so that loading it later needs no parse of the whole kernel BTF.
    bool want_core_btf = false;
    // This process compiles once and exits (jitprobe-compiler sets it): its last code generation
    // may run in this process rather than in a forked child (~3 ms). LLVM 16's BPF backend keeps
    // per-process state across modules, so a process that compiles again must leave it false.
    bool single_compile_process = false;
    // A source without any program is an error ("no probes found"); false accepts one that
    // declares only maps, as BCC's BPF(text=...) does.
    bool require_programs = true;
};

// What a source without programs is told (require_programs), by the frontend and by the runtime
// when a cached or portable object has none: one text, so both say the same.
inline constexpr const char *kNoProbesFound =
    "no probes found: the source defines no probe function";
inline constexpr const char *kNoProbesHint =
    "define e.g. TRACEPOINT_PROBE(syscalls, sys_enter_openat) { ... }, int "
    "kprobe__vfs_read(struct pt_regs *ctx), or name a function in an "
    "'// @attach KIND:TARGET -> FUNCTION' line";

using PhaseTimes = CompileTimes; // the name before CompileTimes; kept for one release

struct CompileResult {
    bool ok = false;
    std::vector<std::uint8_t> object; // the BPF ELF
    ProgramInfo info;
    std::string rewritten;            // the plain libbpf-style C that was compiled
    std::string ir, asm_text;         // when asked for
    std::vector<Diagnostic> diagnostics;
    CompileTimes times;
    // With want_core_btf: the minimized kernel BTF (raw bytes; empty when the object has no CO-RE
    // relocations or none could be made, and then core_btf_note says why).
    std::vector<std::uint8_t> core_btf;
    std::string core_btf_note;
    // Files the compile read from disk (user headers, -include files), absolute or as Clang
    // named them; never jitprobe's embedded headers or kernel-type cache. Non-empty: the
    // object depends on files no cache key holds.
    std::vector<std::string> disk_files;
};

CompileResult compile(const std::string &source, const CompileOptions &options);

// Version string folded into cache keys (jitprobe + LLVM version).
std::string compilerVersion();

} // namespace jitprobe::frontend

