// Where a compile's time went, in milliseconds; 0 when the phase did not run. The runtime's
// jitprobe::PhaseTimes extends it with cache, load and attach phases.
#pragma once

namespace jitprobe::frontend {

struct CompileTimes {
    double kernel_types_ms = 0; // kernel types from BTF (PCH); a cache miss only
    double parse_ms = 0;        // Clang parse of the probe source
    double rewrite_ms = 0;      // BCC-dialect rewrite passes
    double codegen_ms = 0;      // BPF code generation
    // Minimizing the kernel BTF to what the object's CO-RE relocations need (want_core_btf; in
    // the compiler process, so that a later cache hit never parses the kernel BTF).
    double core_btf_ms = 0;
};

} // namespace jitprobe::frontend
