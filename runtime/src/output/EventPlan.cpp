// EventPlan: compile (PlanBuilder mirrors decode_btf's walk once, with the record's bytes
// unknown) and render (PlanWriter: the same checks against the record's size, per event).
#include "EventPlan.h"

#include "DecodeBits.h"
#include "JsonText.h"

#include <fmt/format.h>
#include <linux/btf.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

namespace jitprobe {

using detail::Cursor;
using Kind = EventPlan::Node::Kind;

namespace {
// A type that needs more nodes than this (a pathological BTF) takes the slow path instead.
constexpr std::size_t kMaxNodes = 4096;

std::int32_t findEventType(const struct btf *btf, const std::string &event_type) {
    if (!btf || event_type.empty())
        return -1;
    std::string name = event_type.starts_with("struct ") ? event_type.substr(7) : event_type;
    std::int32_t id = -1;
    for (int kind : {BTF_KIND_STRUCT, BTF_KIND_TYPEDEF, BTF_KIND_UNION})
        if ((id = btf__find_by_name_kind(btf, name.c_str(), kind)) > 0)
            break;
    return id;
}
} // namespace

struct PlanBuilder {
    EventPlan &plan;
    const struct btf *btf;
    bool overflow = false;

    std::uint32_t add(EventPlan::Node node) {
        if (plan.nodes_.size() >= kMaxNodes) {
            overflow = true;
            return 0;
        }
        plan.nodes_.push_back(node);
        return static_cast<std::uint32_t>(plan.nodes_.size() - 1);
    }

    EventPlan::Node intNode(const btf_type *t, std::uint32_t bit_offset, std::uint32_t bitfield) {
        EventPlan::Node n;
        n.kind = Kind::Int;
        std::uint8_t enc = btf_int_encoding(t);
        n.bits = bitfield ? bitfield : btf_int_bits(t);
        n.bit_offset = bit_offset + (bitfield ? 0 : btf_int_offset(t));
        n.is_bool = (enc & BTF_INT_BOOL) != 0;
        n.is_signed = (enc & BTF_INT_SIGNED) != 0;
        return n;
    }

    // decodeEnum's matching, with the enumerators' values reduced as it reduces them.
    EventPlan::Node enumNode(const btf_type *t, std::uint32_t bit_offset, std::uint32_t bitfield) {
        EventPlan::Node n;
        n.kind = Kind::Enum;
        n.bits = bitfield ? bitfield : t->size * 8;
        n.bit_offset = bit_offset;
        n.is_signed = btf_kflag(t);
        n.first = static_cast<std::uint32_t>(plan.enumerators_.size());
        for (std::uint16_t i = 0; i < btf_vlen(t); ++i) {
            std::uint64_t v;
            std::uint32_t name_off;
            if (btf_is_enum(t)) {
                const struct btf_enum *e = btf_enum(t) + i;
                v = n.is_signed ? static_cast<std::uint64_t>(static_cast<std::int64_t>(e->val)) : e->val;
                if (!n.is_signed && n.bits < 64)
                    v &= (std::uint64_t(1) << n.bits) - 1;
                name_off = e->name_off;
            } else {
                const struct btf_enum64 *e = btf_enum64(t) + i;
                v = btf_enum64_value(e);
                name_off = e->name_off;
            }
            const char *name = btf__name_by_offset(btf, name_off);
            EventPlan::Enumerator en{v, {}};
            detail::appendJsonString(en.json, name ? name : "");
            plan.enumerators_.push_back(std::move(en));
        }
        n.count = btf_vlen(t);
        return n;
    }

    std::uint32_t array(const btf_type *t, int depth) {
        const struct btf_array *arr = btf_array(t);
        EventPlan::Node n;
        n.size = arr->nelems;
        if (detail::isCharType(btf, arr->type)) {
            n.kind = Kind::Chars;
            return add(n);
        }
        n.kind = Kind::Array;
        __s64 elem_size = btf__resolve_size(btf, arr->type);
        if (elem_size <= 0 || elem_size > UINT32_MAX)
            return add(n); // elem_size 0: []
        n.elem_size = static_cast<std::uint32_t>(elem_size);
        std::uint32_t self = add(n);
        std::uint32_t child = type(arr->type, depth + 1);
        if (!overflow)
            plan.nodes_[self].child = child;
        return self;
    }

    // appendComposite: named members (bitfields in place), anonymous composites flattened.
    std::vector<EventPlan::Member> members(const btf_type *t, int depth) {
        std::vector<EventPlan::Member> out;
        for (std::uint16_t i = 0; i < btf_vlen(t) && !overflow; ++i) {
            const struct btf_member *m = btf_members(t) + i;
            const char *name = btf__name_by_offset(btf, m->name_off);
            std::uint32_t bit_off = btf_member_bit_offset(t, i);
            std::uint32_t bitfield = btf_member_bitfield_size(t, i);
            std::uint32_t id = m->type;
            const btf_type *mt = detail::skipModifiers(btf, id);
            EventPlan::Member member;
            member.byte_offset = bit_off / 8;
            if (name && *name) {
                detail::appendJsonString(member.key, name);
                member.key += ':';
                if (mt && bitfield && (btf_is_int(mt) || btf_is_any_enum(mt))) {
                    member.in_place = true;
                    member.node = add(btf_is_int(mt) ? intNode(mt, bit_off, bitfield)
                                                     : enumNode(mt, bit_off, bitfield));
                } else {
                    member.node = type(m->type, depth + 1);
                }
            } else if (mt && btf_is_composite(mt) && depth < detail::kMaxDepth) {
                member.node = composite(mt, depth + 1);
            } else {
                continue; // anonymous scalars are padding
            }
            out.push_back(std::move(member));
        }
        return out;
    }

    std::uint32_t composite(const btf_type *t, int depth) {
        std::uint32_t self = add(EventPlan::Node{.kind = Kind::Struct});
        std::vector<EventPlan::Member> list = members(t, depth);
        if (overflow)
            return 0;
        plan.nodes_[self].first = static_cast<std::uint32_t>(plan.members_.size());
        plan.nodes_[self].count = static_cast<std::uint32_t>(list.size());
        std::move(list.begin(), list.end(), std::back_inserter(plan.members_));
        return self;
    }

    std::uint32_t type(std::uint32_t id, int depth) {
        std::uint32_t resolved = id;
        const btf_type *t = detail::skipModifiers(btf, resolved);
        if (!t || depth > detail::kMaxDepth || overflow)
            return add(EventPlan::Node{});
        switch (btf_kind(t)) {
        case BTF_KIND_INT: return add(intNode(t, 0, 0));
        case BTF_KIND_ENUM:
        case BTF_KIND_ENUM64: return add(enumNode(t, 0, 0));
        case BTF_KIND_FLOAT: return add(EventPlan::Node{.kind = Kind::Float, .size = t->size});
        case BTF_KIND_PTR: {
            auto bytes = static_cast<std::uint32_t>(btf__pointer_size(btf) ? btf__pointer_size(btf) : 8);
            return add(EventPlan::Node{.kind = Kind::Ptr, .bits = bytes * 8});
        }
        case BTF_KIND_ARRAY: return array(t, depth);
        case BTF_KIND_STRUCT:
        case BTF_KIND_UNION: return composite(t, depth);
        default: {
            __s64 size = btf__resolve_size(btf, id);
            auto n = size > 0 && size <= UINT32_MAX ? static_cast<std::uint32_t>(size) : 0;
            return add(EventPlan::Node{.kind = Kind::Bytes, .size = n});
        }
        }
    }
};

EventPlan EventPlan::compile(const struct btf *btf, const std::string &event_type) {
    EventPlan plan;
    plan.btf_ = btf;
    plan.type_id_ = findEventType(btf, event_type);
    if (plan.type_id_ <= 0)
        return plan;
    __s64 size = btf__resolve_size(btf, static_cast<std::uint32_t>(plan.type_id_));
    plan.type_size_ = size > 0 ? static_cast<std::size_t>(size) : 0;
    PlanBuilder builder{plan, btf};
    builder.type(static_cast<std::uint32_t>(plan.type_id_), 0);
    if (builder.overflow) {
        plan.nodes_.clear();
        plan.members_.clear();
        plan.enumerators_.clear();
    }
    return plan;
}

Value EventPlan::decode(const void *data, std::size_t size) const {
    if (type_id_ > 0) {
        std::size_t n = type_size_ > 0 ? std::min(size, type_size_) : size;
        return decode_btf(btf_, static_cast<std::uint32_t>(type_id_), data, n);
    }
    const auto *p = static_cast<const std::uint8_t *>(data);
    return Value::structure({{"size", Value::unsigned_integer(size)}, {"bytes", Value::bytes({p, p + size})}});
}

struct PlanWriter {
    const EventPlan &plan;
    std::string &out;

    void hex(const std::uint8_t *p, std::size_t n) {
        static const char digits[] = "0123456789abcdef";
        std::size_t at = out.size();
        out.resize(at + 2 * n + 2);
        char *w = out.data() + at;
        *w++ = '"';
        for (std::size_t i = 0; i < n; ++i) {
            *w++ = digits[p[i] >> 4];
            *w++ = digits[p[i] & 0xf];
        }
        *w = '"';
    }

    template <typename T> void number(T v) {
        fmt::format_int text(v);
        out.append(text.data(), text.size());
    }

    // integerValue's JSON: a 64-bit number, or the exact hex string of a wider one.
    void integer(unsigned __int128 raw, std::uint32_t bits, bool is_signed) {
        if (bits <= 64) {
            if (!is_signed) {
                number(static_cast<std::uint64_t>(raw));
                return;
            }
            if (bits < 64 && (raw >> (bits - 1)) & 1)
                raw |= ~((static_cast<unsigned __int128>(1) << bits) - 1);
            number(static_cast<std::int64_t>(static_cast<std::uint64_t>(raw)));
            return;
        }
        detail::appendJsonValue(out, detail::integerValue(raw, bits, is_signed));
    }

    void enumeration(const EventPlan::Node &n, unsigned __int128 raw) {
        Value number = detail::integerValue(raw, n.bits, n.is_signed);
        std::uint64_t want = number.as_uint();
        for (std::uint32_t i = n.first; i < n.first + n.count; ++i)
            if (plan.enumerators_[i].value == want) {
                out += plan.enumerators_[i].json;
                return;
            }
        integer(raw, n.bits, n.is_signed);
    }

    void real(const EventPlan::Node &n, Cursor c) {
        // nlohmann's dump, as appendJsonValue prints doubles (its shortest form differs from fmt's).
        if (n.size == sizeof(float) && c.size >= sizeof(float)) {
            float f;
            std::memcpy(&f, c.data, sizeof f);
            out += nlohmann::json(static_cast<double>(f)).dump();
        } else if (n.size == sizeof(double) && c.size >= sizeof(double)) {
            double d;
            std::memcpy(&d, c.data, sizeof d);
            out += nlohmann::json(d).dump();
        } else {
            hex(c.data, std::min<std::size_t>(n.size, c.size));
        }
    }

    void chars(const EventPlan::Node &n, Cursor c) {
        std::size_t len = std::min<std::size_t>(n.size, c.size);
        if (const void *nul = std::memchr(c.data, 0, len))
            len = static_cast<std::size_t>(static_cast<const std::uint8_t *>(nul) - c.data);
        detail::appendJsonString(out, {reinterpret_cast<const char *>(c.data), len});
    }

    void array(const EventPlan::Node &n, Cursor c) {
        out += '[';
        for (std::uint32_t i = 0; n.elem_size && i < n.size; ++i) {
            if (i)
                out += ',';
            std::size_t off = static_cast<std::size_t>(i) * n.elem_size;
            if (off >= c.size)
                out += "null";
            else
                node(n.child, {c.data + off, c.size - off});
        }
        out += ']';
    }

    void members(const EventPlan::Node &n, Cursor c, bool &first) {
        for (std::uint32_t i = n.first; i < n.first + n.count; ++i) {
            const EventPlan::Member &m = plan.members_[i];
            if (m.key.empty()) { // flattened: its members join this object, when in the record
                if (m.byte_offset <= c.size)
                    members(plan.nodes_[m.node], {c.data + m.byte_offset, c.size - m.byte_offset}, first);
                continue;
            }
            if (!first)
                out += ',';
            first = false;
            out += m.key;
            if (m.in_place)
                node(m.node, c);
            else if (m.byte_offset > c.size)
                out += "null";
            else
                node(m.node, {c.data + m.byte_offset, c.size - m.byte_offset});
        }
    }

    void node(std::uint32_t index, Cursor c) {
        const EventPlan::Node &n = plan.nodes_[index];
        unsigned __int128 raw;
        switch (n.kind) {
        case Kind::Null: out += "null"; return;
        case Kind::Int:
        case Kind::Enum:
        case Kind::Ptr:
            if (!detail::loadBits(c, n.bit_offset, n.bits, raw))
                out += "null";
            else if (n.kind == Kind::Ptr)
                number(static_cast<std::uint64_t>(raw));
            else if (n.kind == Kind::Enum)
                enumeration(n, raw);
            else if (n.is_bool)
                out += raw != 0 ? "true" : "false";
            else
                integer(raw, n.bits, n.is_signed);
            return;
        case Kind::Float: real(n, c); return;
        case Kind::Chars: chars(n, c); return;
        case Kind::Array: array(n, c); return;
        case Kind::Struct: {
            out += '{';
            bool first = true;
            members(n, c, first);
            out += '}';
            return;
        }
        case Kind::Bytes: hex(c.data, n.size ? std::min<std::size_t>(n.size, c.size) : c.size); return;
        }
    }
};

void EventPlan::append_json(std::string &out, const void *data, std::size_t size) const {
    if (nodes_.empty() || !data) {
        detail::appendJsonValue(out, decode(data, size));
        return;
    }
    std::size_t n = type_size_ > 0 ? std::min(size, type_size_) : size;
    PlanWriter{*this, out}.node(0, {static_cast<const std::uint8_t *>(data), n});
}

} // namespace jitprobe
