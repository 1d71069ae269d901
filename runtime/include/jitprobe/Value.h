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
    static Value unsignedInteger(std::uint64_t v) { return Value(Storage(v)); }
    static Value boolean(bool v) { return Value(Storage(v)); }
    static Value real(double v) { return Value(Storage(v)); }
    static Value string(std::string v) { return Value(Storage(std::move(v))); }
    static Value list(ValueList v) { return Value(Storage(std::move(v))); }
    static Value structure(ValueFields v) { return Value(Storage(std::move(v))); }
    static Value bytes(std::vector<std::uint8_t> v) { return Value(Storage(Bytes{std::move(v)})); }

    Kind kind() const { return static_cast<Kind>(storage_.index()); }
    bool isNull() const { return kind() == Kind::Null; }
    bool isNumber() const;                 // Int, UInt, Bool or Double
    std::int64_t asInt() const;            // numbers converted; 0 otherwise
    std::uint64_t asUInt() const;          // numbers converted; 0 otherwise
    double asDouble() const;               // numbers converted; 0 otherwise
    bool asBool() const { return std::get<bool>(storage_); }
    const std::string &asString() const { return std::get<std::string>(storage_); }
    const ValueList &asList() const { return std::get<ValueList>(storage_); }
    ValueList &asList() { return std::get<ValueList>(storage_); }
    const ValueFields &asStruct() const { return std::get<ValueFields>(storage_); }
    ValueFields &asStruct() { return std::get<ValueFields>(storage_); }
    const Bytes &asBytes() const { return std::get<Bytes>(storage_); }

    // Struct member by name, or nullptr.
    const Value *field(const std::string &name) const;
    // True for 0, "", all-zero bytes, and lists/structs whose members are all zero.
    bool isZero() const;
    // Total order used to sort table rows: numbers numerically, then strings, then the rest.
    static int compare(const Value &a, const Value &b);

    bool operator==(const Value &other) const = default;

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
Value decodeBtf(const struct btf *btf, std::uint32_t type_id, const void *data, std::size_t size);

// A per-CPU map value: `ncpus` slots of round_up(value_size, 8) bytes each. Numbers are summed
// field-wise across CPUs; strings and other non-numbers are taken from the first CPU that has a
// non-zero value.
Value decodeBtfPerCpuSum(const struct btf *btf, std::uint32_t type_id, const void *data,
                         std::size_t value_size, unsigned ncpus);

// Field-wise sum of two decoded values of the same shape (numbers add; otherwise `a` wins
// unless it is zero).
Value sumValues(const Value &a, const Value &b);

} // namespace jitprobe
