// An event record's decode plan, compiled once per event type from the program's BTF: the
// per-event path of `jitprobe run --format json` walks a flat list of resolved fields (offsets,
// widths, enum names, JSON keys already escaped) and writes JSON straight into the caller's
// reused buffer, with no BTF lookup, no Value tree and no allocation per event. The text it
// writes is byte for byte appendJsonValue(decode_btf(...)) of the same bytes (tested for every
// field kind, truncated records included).
#pragma once
#include "jitprobe/Value.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

struct btf;

namespace jitprobe {

class EventPlan {
  public:
    // The plan of EVENT_TYPE ("struct name", or a struct/typedef/union name) in BTF. Without
    // BTF or without that type, records decode as {"size": N, "bytes": "hex"}.
    static EventPlan compile(const struct btf *btf, const std::string &event_type);

    // The record as a Value: what decodeEventRecord gives (the type is looked up once, here).
    Value decode(const void *data, std::size_t size) const;
    // Appends the JSON of decode(DATA, SIZE) to OUT.
    void append_json(std::string &out, const void *data, std::size_t size) const;
    // True when the type was found and planned (else the {"size","bytes"} fallback, or the
    // slow path for a type too large to plan).
    bool planned() const { return !nodes_.empty(); }

    // A resolved type occurrence; kinds mirror decode_btf's cases.
    struct Node {
        enum class Kind : std::uint8_t { Null, Int, Enum, Float, Ptr, Chars, Array, Struct, Bytes };
        Kind kind = Kind::Null;
        bool is_signed = false, is_bool = false;
        std::uint32_t bit_offset = 0; // Int/Enum: first bit in the node's cursor
        std::uint32_t bits = 0;       // Int/Enum/Ptr: width
        std::uint32_t size = 0;       // Float/Bytes: byte size (Bytes 0: the whole cursor); Chars/Array: elements
        std::uint32_t elem_size = 0;  // Array: element stride (0: always [])
        std::uint32_t child = 0;      // Array: the element's node
        std::uint32_t first = 0, count = 0; // Struct: members_; Enum: enumerators_
    };
    struct Member {
        std::string key;              // "\"name\":" escaped once; empty: a flattened anonymous member
        std::uint32_t byte_offset = 0;
        std::uint32_t node = 0;
        bool in_place = false;        // bitfield: the node reads the parent's cursor at its bit_offset
    };
    struct Enumerator {
        std::uint64_t value = 0;
        std::string json; // the name as a JSON string
    };

  private:
    const struct btf *btf_ = nullptr;
    std::int32_t type_id_ = -1;
    std::size_t type_size_ = 0; // 0: unknown (records are not truncated to it)
    std::vector<Node> nodes_;   // nodes_[0] is the root
    std::vector<Member> members_;
    std::vector<Enumerator> enumerators_;
    friend struct PlanBuilder;
    friend struct PlanWriter;
};

} // namespace jitprobe
