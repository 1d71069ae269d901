// A decoded BPF value: what a map key, map value or perf/ring-buffer record holds, rebuilt from
// the program's own BTF so results print with the user's field names and types.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

struct btf;

namespace jitprobe {

class Value;
using ValueList = std::vector<Value>;
using ValueField = std::pair<std::string, Value>;
using ValueFields = std::vector<ValueField>; // ordered as declared in the struct

// Raw bytes we could not (or need not) interpret, printed as hex.
struct Bytes {
    std::vector<std::uint8_t> data;
    bool operator==(const Bytes &) const = default;
};

class Value {
  public:
    enum class Kind { Null, Int, UInt, Bool, Double, String, List, Struct, Bytes };

    Value() = default;
    static Value null() { return Value(); }
    static Value integer(std::int64_t v) { return Value(Storage(v)); }
    static Value unsigned_integer(std::uint64_t v) { return Value(Storage(v)); }
    static Value boolean(bool v) { return Value(Storage(v)); }
    static Value real(double v) { return Value(Storage(v)); }
    static Value string(std::string v) { return Value(Storage(std::move(v))); }
    static Value list(ValueList v) { return Value(Storage(std::move(v))); }
    static Value structure(ValueFields v) { return Value(Storage(std::move(v))); }
    static Value bytes(std::vector<std::uint8_t> v) { return Value(Storage(Bytes{std::move(v)})); }

    Kind kind() const { return static_cast<Kind>(storage_.index()); }
    bool is_null() const { return kind() == Kind::Null; }
    bool is_number() const;                 // Int, UInt, Bool or Double
    std::int64_t as_int() const;            // numbers converted; 0 otherwise
    std::uint64_t as_uint() const;          // numbers converted; 0 otherwise
    double as_double() const;               // numbers converted; 0 otherwise
    bool as_bool() const { return std::get<bool>(storage_); }
    const std::string &as_string() const { return std::get<std::string>(storage_); }
    const ValueList &as_list() const { return std::get<ValueList>(storage_); }
    ValueList &as_list() { return std::get<ValueList>(storage_); }
    const ValueFields &as_struct() const { return std::get<ValueFields>(storage_); }
    ValueFields &as_struct() { return std::get<ValueFields>(storage_); }
    const Bytes &as_bytes() const { return std::get<Bytes>(storage_); }

    // Struct member by name, or nullptr.
    const Value *field(const std::string &name) const;
    // True for 0, "", all-zero bytes, and lists/structs whose members are all zero.
    bool is_zero() const;
    // Total order used to sort table rows: numbers numerically, then strings, then the rest.
    static int compare(const Value &a, const Value &b);

    bool operator==(const Value &other) const = default;

    // The names before the snake_case rule, kept for one release.
    [[deprecated("use unsigned_integer")]] static Value unsignedInteger(std::uint64_t v) { return unsigned_integer(v); }
    [[deprecated("use is_null")]] bool isNull() const { return is_null(); }
    [[deprecated("use is_number")]] bool isNumber() const { return is_number(); }
    [[deprecated("use as_int")]] std::int64_t asInt() const { return as_int(); }
    [[deprecated("use as_uint")]] std::uint64_t asUInt() const { return as_uint(); }
    [[deprecated("use as_double")]] double asDouble() const { return as_double(); }
    [[deprecated("use as_bool")]] bool asBool() const { return as_bool(); }
    [[deprecated("use as_string")]] const std::string &asString() const { return as_string(); }
    [[deprecated("use as_list")]] const ValueList &asList() const { return as_list(); }
    [[deprecated("use as_struct")]] const ValueFields &asStruct() const { return as_struct(); }
    [[deprecated("use as_bytes")]] const Bytes &asBytes() const { return as_bytes(); }
    [[deprecated("use is_zero")]] bool isZero() const { return is_zero(); }

  private:
    using Storage = std::variant<std::monostate, std::int64_t, std::uint64_t, bool, double,
                                 std::string, ValueList, ValueFields, Bytes>;
    explicit Value(Storage s) : storage_(std::move(s)) {}
    Storage storage_;
};

// Decode `size` bytes at `data` as BTF type `type_id`. Typedefs and qualifiers are followed;
// enums become their enumerator name (or the number when none matches); char[N] becomes a
// string up to the first NUL; other arrays lists; structs/unions objects with named members
// (anonymous members flattened); pointers unsigned integers. Bytes beyond `size` are never read:
// a truncated value decodes what fits and marks the rest Null.
Value decode_btf(const struct btf *btf, std::uint32_t type_id, const void *data, std::size_t size);

// A per-CPU map value: `ncpus` slots of round_up(value_size, 8) bytes each. Numbers are summed
// field-wise across CPUs; strings and other non-numbers are taken from the first CPU that has a
// non-zero value.
Value decode_btf_percpu_sum(const struct btf *btf, std::uint32_t type_id, const void *data,
                         std::size_t value_size, unsigned ncpus);

// Field-wise sum of two decoded values of the same shape (numbers add; otherwise `a` wins
// unless it is zero).
Value sum_values(const Value &a, const Value &b);

// The names before the snake_case rule, kept for one release.
[[deprecated("use decode_btf")]] inline Value decodeBtf(const struct btf *btf, std::uint32_t type_id,
                                                       const void *data, std::size_t size) {
    return decode_btf(btf, type_id, data, size);
}
[[deprecated("use sum_values")]] inline Value sumValues(const Value &a, const Value &b) {
    return sum_values(a, b);
}

} // namespace jitprobe
