// Portable objects (`jitprobe build` -> FILE.jpo): a compiled probe in one self-contained file
// that any jitprobe runtime loads without the compiler, on any kernel with BTF (libbpf applies
// the object's CO-RE relocations against the target kernel's BTF at load time).
//
// Format (all integers little-endian):
//   magic "JITPRJPO" (8) | format version u32 | section count u32 | 4 x section length u64 |
//   SHA-256 (32) over header + payload | payload: BPF ELF, ProgramInfo JSON, rewritten C,
//   metadata ("key=value" lines: jitprobe version, kernel it was built on, source file).
// Version rule: a reader accepts every format version up to its own and refuses a newer one
// (naming both). The SHA-256 catches corruption and truncation, not a deliberate forgery
// (whoever can write the file can recompute it): treat a .jpo like any program you run as root.
// Never prints; failures name the file and the reason.
#pragma once
#include "jitprobe/Status.h"
#include "jitprobe/frontend/ProgramInfo.h"

#include <cstdint>
#include <string>
#include <vector>

namespace jitprobe::detail {

inline constexpr std::uint32_t kPortableFormatVersion = 1;
// A .jpo is read whole: larger files are refused before anything is read. Objects are a few MB.
inline constexpr std::uint64_t kMaxPortableObjectSize = std::uint64_t(64) << 20;

struct PortableObject {
    std::vector<std::uint8_t> elf;
    frontend::ProgramInfo info;
    std::string rewritten;
    std::string metadata; // "key=value" lines (informational; never trusted for loading)
};

// The file's bytes (BUILT_FROM: the source file name kept in the metadata).
std::string encodePortableObject(const std::vector<std::uint8_t> &elf,
                                 const frontend::ProgramInfo &info, const std::string &rewritten,
                                 const std::string &built_from);
// WHERE names the file in errors ("probe.jpo: ...").
Result<PortableObject> decodePortableObject(const std::string &bytes, const std::string &where);
// Opens PATH once, checks it through the fd (regular file, size cap), reads and decodes it.
Result<PortableObject> readPortableObject(const std::string &path);
// Does BYTES start like a portable object (the magic)?
bool looksLikePortableObject(std::string_view bytes);

} // namespace jitprobe::detail
