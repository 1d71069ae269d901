// bpf_trace_printk formats as jitprobe carries them privately (issue 19 item 2): PrintkPass
// rewrites each call into a record on a hidden ring buffer, and the runtime formats it. Both
// sides derive the record layout from the format string with this one parser, so they agree.
//
// Record: a 40-byte header, then one 8-byte slot per numeric argument and one
// kPrintkStringSize-byte NUL-terminated field per %s (read in the probe, truncated there).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace jitprobe::common {

inline constexpr std::size_t kPrintkHeaderSize = 40; // id, tid, ts_ns, cpu, pad, comm[16]
inline constexpr std::size_t kPrintkStringSize = 64;
inline constexpr std::size_t kPrintkMaxArgs = 12;     // as libbpf's bpf_printk (vprintk)

// The header the probe writes (bcc.h: struct __jp_printk_head).
struct PrintkHead {
    std::uint32_t id;
    std::uint32_t tid;
    std::uint64_t ts_ns;
    std::uint32_t cpu;
    std::uint32_t pad;
    char comm[16];
};
static_assert(sizeof(PrintkHead) == kPrintkHeaderSize);

enum class PrintkArg { Signed, Unsigned, Char, String, Pointer };

struct PrintkConversion {
    std::size_t begin = 0, end = 0; // the conversion's bytes in the format ("%-5lld")
    std::string flags;              // flags, width and precision ("-5")
    int length = 0;                 // 0: int, 1: long / long long, -1: short, -2: char
    char conv = 0;                  // d u x X o c s p (and i, normalised to d)
    PrintkArg kind = PrintkArg::Signed;
    std::size_t offset = 0;         // of its value in the record
};

struct PrintkFormat {
    std::vector<PrintkConversion> conversions;
    std::size_t record_size = kPrintkHeaderSize;
    std::string error;          // empty if the format is supported
    std::size_t error_at = 0;   // byte offset of the unsupported conversion in the format
    // The error is a conversion the kernel's own bpf_trace_printk refuses too (%f, %e, %n ...):
    // there the helper prints nothing and returns -EINVAL, which BCC only warns about.
    bool kernel_rejects = false;
};

PrintkFormat parsePrintkFormat(std::string_view fmt);

// The message for a record of FORMAT (parsed from FMT); nullopt-like: returns false if
// SIZE is too small for the format's layout. One trailing newline is dropped (trace_pipe's
// convention: "...\n" prints one line).
bool formatPrintk(std::string_view fmt, const PrintkFormat &format, const std::uint8_t *record,
                  std::size_t size, std::string &out);

} // namespace jitprobe::common
