// The pieces of BTF decoding shared by decode_btf (Value trees) and EventPlan (compiled once per
// event type, rendered straight to JSON): both must read the same bits the same way.
#pragma once
#include "jitprobe/Value.h"

#include <bpf/btf.h>

#include <cstddef>
#include <cstdint>

namespace jitprobe::detail {

// Nested structs deeper than this are almost certainly a cycle through a bad BTF.
constexpr int kMaxDepth = 32;

struct Cursor {
    const std::uint8_t *data;
    std::size_t size;
};

const btf_type *skipModifiers(const struct btf *btf, std::uint32_t &id);
bool isCharType(const struct btf *btf, std::uint32_t id);

// Little-endian load of `bits` bits starting `bit_offset` bits into the cursor.
inline bool loadBits(Cursor c, std::uint32_t bit_offset, std::uint32_t bits, unsigned __int128 &out) {
    std::size_t first = bit_offset / 8, last = (bit_offset + bits + 7) / 8;
    if (bits == 0 || bits > 128 || last > c.size || last - first > 16)
        return false;
    unsigned __int128 acc = 0;
    for (std::size_t i = last; i-- > first;)
        acc = (acc << 8) | c.data[i];
    acc >>= (bit_offset % 8);
    if (bits < 128)
        acc &= (static_cast<unsigned __int128>(1) << bits) - 1;
    out = acc;
    return true;
}

// RAW (BITS wide) as Int/UInt, or as a "0x..." hex string when it does not fit 64 bits.
Value integerValue(unsigned __int128 raw, std::uint32_t bits, bool is_signed);

} // namespace jitprobe::detail
