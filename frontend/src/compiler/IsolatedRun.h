// Runs a piece of code generation in a forked child and returns its bytes and diagnostics.
// Why: LLVM 16's BPF backend keeps module-owned globals in a process-wide cache
// (BPFAbstractMemberAccess::GEPGlobals), so a second CO-RE compile in one process can touch a
// freed GlobalVariable and crash. A child per code generation starts from a clean cache, and a
// crash there becomes a diagnostic instead of taking the caller (a probe runtime) down.
#pragma once
#include "jitprobe/frontend/Diagnostic.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace jitprobe::frontend {

bool runIsolated(const std::function<bool(std::vector<std::uint8_t> &, std::vector<Diagnostic> &)> &work,
                 std::vector<std::uint8_t> &out, std::vector<Diagnostic> &diags);

} // namespace jitprobe::frontend
