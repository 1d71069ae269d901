// Where the time of getting a probe from source to attached went, and whether the object cache
// (see Cache.h) made the compiler unnecessary. Read it from BPF::phase_times() or
// Script::phase_times(); `jitprobe run|check --time-phases` prints it.
#pragma once
#include "jitprobe/frontend/CompileTimes.h"

#include <string>

namespace jitprobe {

// Milliseconds per phase; 0 when the phase did not run (a cache hit runs no compiler phase).
// The compiler's phases (kernel_types_ms, parse_ms, rewrite_ms, codegen_ms, core_btf_ms) are
// frontend::CompileTimes', as the compiler process reported them.
struct PhaseTimes : frontend::CompileTimes {
    double cache_lookup_ms = 0; // cache key (incl. kernel BTF digest) + entry read + hash check
    double cache_store_ms = 0;  // writing the new entry (cache miss only)
    double open_ms = 0;         // libbpf: ELF + BTF of the object
    double load_ms = 0;         // CO-RE relocation + verifier
    double attach_ms = 0;       // attach_all
    bool cache_used = false;    // the cache was consulted (false: disabled or directory refused)
    bool cache_hit = false;     // the object came from the cache: the compiler never ran
    bool cache_rebuilt = false; // a corrupt entry was found, deleted and compiled again
    // The compiler library (libjitprobe-frontend.so, LLVM) is mapped in this process, as the
    // dynamic loader's list of objects says at the end of init. BPF::init compiles in a child process
    // (jitprobe-compiler), so this stays false unless the application loaded the library itself.
    bool frontend_loaded = false;
    // libbpf relocated CO-RE against the minimized kernel BTF kept in the cache entry, not
    // against /sys/kernel/btf/vmlinux (false: no CO-RE relocations, no cache, or not possible).
    bool core_btf_minimized = false;
    std::string core_btf_note;  // why no minimized kernel BTF was used; "" when nothing to say
    std::string cache_note;     // why the cache was bypassed or rebuilt; "" when nothing to say
};

} // namespace jitprobe
