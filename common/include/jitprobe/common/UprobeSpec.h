// The uprobe target grammar shared by the @attach checker (frontend) and the runtime:
// BINARY:SYMBOL[+OFFSET] or BINARY:0xADDRESS. Symbols are spelled as binaries spell them, so
// they may contain '.', '(', '*', '/', '@' (Go, versioned) and '::' (demangled C++).
#pragma once
#include <cstdint>
#include <string>

namespace jitprobe::common {

struct UprobeSpec {
    std::string binary; // absolute path, or a short library/program name ("libc", "libc.so.6")
    std::string symbol; // "" when address is set
    uint64_t offset = 0;  // +OFFSET after the symbol
    uint64_t address = 0; // 0xADDRESS instead of a symbol
};

// Splits at the first ':' whose prefix is an existing file (a directory may contain ':'), else
// at the first ':' (Go names contain '/', C++ names ':'); the symbol is everything after.
// "" on success, else the problem.
std::string parseUprobeSpec(const std::string &target, UprobeSpec &out);

} // namespace jitprobe::common
