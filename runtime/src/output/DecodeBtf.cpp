// BTF-driven decoding of raw map keys/values and event records into jitprobe::Value.
#include "jitprobe/Value.h"

#include "DecodeBits.h"

#include <bpf/btf.h>
#include <linux/btf.h>

#include <algorithm>
#include <cstring>

namespace jitprobe {
namespace detail {

const btf_type *skipModifiers(const struct btf *btf, std::uint32_t &id) {
    const btf_type *t = btf__type_by_id(btf, id);
    while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
        id = t->type;
        t = btf__type_by_id(btf, id);
    }
    return t;
}

Value integerValue(unsigned __int128 raw, std::uint32_t bits, bool is_signed) {
    if (is_signed && bits < 128 && (raw >> (bits - 1)) & 1)
        raw |= ~((static_cast<unsigned __int128>(1) << bits) - 1); // sign-extend
    if (is_signed) {
        auto s = static_cast<__int128>(raw);
        if (s >= INT64_MIN && s <= INT64_MAX)
            return Value::integer(static_cast<std::int64_t>(s));
    } else if ((raw >> 64) == 0) {
        return Value::unsigned_integer(static_cast<std::uint64_t>(raw));
    }
    // Wider than 64 bits: keep it exact as hex rather than losing bits.
    std::string hex;
    for (unsigned __int128 v = raw; v; v >>= 4)
        hex.insert(hex.begin(), "0123456789abcdef"[static_cast<unsigned>(v & 0xf)]);
    return Value::string("0x" + (hex.empty() ? std::string("0") : hex));
}

bool isCharType(const struct btf *btf, std::uint32_t id) {
    const btf_type *t = skipModifiers(btf, id);
    if (!t || !btf_is_int(t) || t->size != 1)
        return false;
    if (btf_int_encoding(t) & BTF_INT_CHAR)
        return true;
    const char *name = btf__name_by_offset(btf, t->name_off);
    return name && std::strcmp(name, "char") == 0;
}

} // namespace detail

namespace {
using detail::Cursor;
using detail::integerValue;
using detail::isCharType;
using detail::kMaxDepth;
using detail::loadBits;
using detail::skipModifiers;

Value decodeType(const struct btf *btf, std::uint32_t id, Cursor c, int depth);

Value decodeInt(const btf_type *t, Cursor c, std::uint32_t bit_offset, std::uint32_t bitfield) {
    std::uint8_t enc = btf_int_encoding(t);
    std::uint32_t bits = bitfield ? bitfield : btf_int_bits(t);
    unsigned __int128 raw;
    if (!loadBits(c, bit_offset + (bitfield ? 0 : btf_int_offset(t)), bits, raw))
        return Value::null();
    if (enc & BTF_INT_BOOL)
        return Value::boolean(raw != 0);
    return integerValue(raw, bits, (enc & BTF_INT_SIGNED) != 0);
}

Value decodeEnum(const struct btf *btf, const btf_type *t, Cursor c, std::uint32_t bit_offset,
                 std::uint32_t bitfield) {
    std::uint32_t bits = bitfield ? bitfield : t->size * 8;
    bool is_signed = btf_kflag(t);
    unsigned __int128 raw;
    if (!loadBits(c, bit_offset, bits, raw))
        return Value::null();
    Value number = integerValue(raw, bits, is_signed);
    std::uint64_t want = number.as_uint();
    for (std::uint16_t i = 0; i < btf_vlen(t); ++i) {
        std::uint64_t v;
        std::uint32_t name_off;
        if (btf_is_enum(t)) {
            const struct btf_enum *e = btf_enum(t) + i;
            v = is_signed ? static_cast<std::uint64_t>(static_cast<std::int64_t>(e->val)) : e->val;
            if (!is_signed && bits < 64)
                v &= (std::uint64_t(1) << bits) - 1;
            name_off = e->name_off;
        } else {
            const struct btf_enum64 *e = btf_enum64(t) + i;
            v = btf_enum64_value(e);
            name_off = e->name_off;
        }
        if (v == want)
            return Value::string(btf__name_by_offset(btf, name_off));
    }
    return number;
}

Value decodeArray(const struct btf *btf, const btf_type *t, Cursor c, int depth) {
    const struct btf_array *arr = btf_array(t);
    if (isCharType(btf, arr->type)) {
        std::size_t n = std::min<std::size_t>(arr->nelems, c.size);
        const void *nul = std::memchr(c.data, 0, n);
        if (nul)
            n = static_cast<const std::uint8_t *>(nul) - c.data;
        return Value::string(std::string(reinterpret_cast<const char *>(c.data), n));
    }
    __s64 elem_size = btf__resolve_size(btf, arr->type);
    ValueList items;
    if (elem_size <= 0)
        return Value::list(std::move(items));
    items.reserve(arr->nelems);
    for (std::uint32_t i = 0; i < arr->nelems; ++i) {
        std::size_t off = i * static_cast<std::size_t>(elem_size);
        if (off >= c.size) {
            items.push_back(Value::null());
            continue;
        }
        items.push_back(decodeType(btf, arr->type, {c.data + off, c.size - off}, depth + 1));
    }
    return Value::list(std::move(items));
}

// One member: bitfields and ints/enums are decoded in place; others at their byte offset.
Value decodeMember(const struct btf *btf, const btf_type *parent, std::uint32_t index, Cursor c, int depth) {
    const struct btf_member *m = btf_members(parent) + index;
    std::uint32_t bit_off = btf_member_bit_offset(parent, index);
    std::uint32_t bitfield = btf_member_bitfield_size(parent, index);
    std::uint32_t id = m->type;
    const btf_type *mt = skipModifiers(btf, id);
    if (mt && bitfield) {
        if (btf_is_int(mt))
            return decodeInt(mt, c, bit_off, bitfield);
        if (btf_is_any_enum(mt))
            return decodeEnum(btf, mt, c, bit_off, bitfield);
    }
    std::size_t off = bit_off / 8;
    if (off > c.size)
        return Value::null();
    return decodeType(btf, m->type, {c.data + off, c.size - off}, depth + 1);
}

void appendComposite(const struct btf *btf, const btf_type *t, Cursor c, int depth, ValueFields &out) {
    for (std::uint16_t i = 0; i < btf_vlen(t); ++i) {
        const struct btf_member *m = btf_members(t) + i;
        const char *name = btf__name_by_offset(btf, m->name_off);
        if (name && *name) {
            out.emplace_back(name, decodeMember(btf, t, i, c, depth));
            continue;
        }
        // Anonymous struct/union members are flattened; anonymous scalars are padding.
        std::uint32_t id = m->type;
        const btf_type *mt = skipModifiers(btf, id);
        std::size_t off = btf_member_bit_offset(t, i) / 8;
        if (mt && btf_is_composite(mt) && off <= c.size && depth < kMaxDepth)
            appendComposite(btf, mt, {c.data + off, c.size - off}, depth + 1, out);
    }
}

Value decodeFloat(const btf_type *t, Cursor c) {
    if (t->size == sizeof(float) && c.size >= sizeof(float)) {
        float f;
        std::memcpy(&f, c.data, sizeof f);
        return Value::real(f);
    }
    if (t->size == sizeof(double) && c.size >= sizeof(double)) {
        double d;
        std::memcpy(&d, c.data, sizeof d);
        return Value::real(d);
    }
    return Value::bytes({c.data, c.data + std::min<std::size_t>(t->size, c.size)});
}

Value decodeType(const struct btf *btf, std::uint32_t id, Cursor c, int depth) {
    const btf_type *t = skipModifiers(btf, id);
    if (!t || depth > kMaxDepth)
        return Value::null();
    switch (btf_kind(t)) {
    case BTF_KIND_INT: return decodeInt(t, c, 0, 0);
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64: return decodeEnum(btf, t, c, 0, 0);
    case BTF_KIND_FLOAT: return decodeFloat(t, c);
    case BTF_KIND_PTR: {
        unsigned __int128 raw;
        std::uint32_t bits = static_cast<std::uint32_t>(btf__pointer_size(btf) ? btf__pointer_size(btf) : 8) * 8;
        return loadBits(c, 0, bits, raw) ? Value::unsigned_integer(static_cast<std::uint64_t>(raw)) : Value::null();
    }
    case BTF_KIND_ARRAY: return decodeArray(btf, t, c, depth);
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION: {
        ValueFields fields;
        appendComposite(btf, t, c, depth, fields);
        return Value::structure(std::move(fields));
    }
    default: {
        __s64 size = btf__resolve_size(btf, id);
        std::size_t n = size > 0 ? std::min<std::size_t>(size, c.size) : c.size;
        return Value::bytes({c.data, c.data + n});
    }
    }
}

} // namespace

Value decode_btf(const struct btf *btf, std::uint32_t type_id, const void *data, std::size_t size) {
    Cursor c{static_cast<const std::uint8_t *>(data), size};
    if (!btf || !data)
        return Value::bytes({c.data, c.data + (data ? size : 0)});
    return decodeType(btf, type_id, c, 0);
}

Value decode_btf_percpu_sum(const struct btf *btf, std::uint32_t type_id, const void *data,
                         std::size_t value_size, unsigned ncpus) {
    std::size_t stride = (value_size + 7) / 8 * 8;
    const auto *bytes = static_cast<const std::uint8_t *>(data);
    Value total;
    for (unsigned cpu = 0; cpu < ncpus; ++cpu)
        total = sum_values(total, decode_btf(btf, type_id, bytes + cpu * stride, value_size));
    return total;
}

} // namespace jitprobe
