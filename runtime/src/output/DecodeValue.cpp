// jitprobe::Value helpers: numeric views, zero test, ordering, field-wise sums.
#include "jitprobe/Value.h"

#include <algorithm>

namespace jitprobe {

bool Value::is_number() const {
    switch (kind()) {
    case Kind::Int:
    case Kind::UInt:
    case Kind::Bool:
    case Kind::Double:
        return true;
    default:
        return false;
    }
}

std::int64_t Value::as_int() const {
    switch (kind()) {
    case Kind::Int: return std::get<std::int64_t>(storage_);
    case Kind::UInt: return static_cast<std::int64_t>(std::get<std::uint64_t>(storage_));
    case Kind::Bool: return std::get<bool>(storage_) ? 1 : 0;
    case Kind::Double: return static_cast<std::int64_t>(std::get<double>(storage_));
    default: return 0;
    }
}

std::uint64_t Value::as_uint() const {
    if (kind() == Kind::UInt)
        return std::get<std::uint64_t>(storage_);
    return static_cast<std::uint64_t>(as_int());
}

double Value::as_double() const {
    switch (kind()) {
    case Kind::Double: return std::get<double>(storage_);
    case Kind::UInt: return static_cast<double>(std::get<std::uint64_t>(storage_));
    default: return static_cast<double>(as_int());
    }
}

const Value *Value::field(const std::string &name) const {
    if (kind() != Kind::Struct)
        return nullptr;
    for (const auto &[n, v] : as_struct())
        if (n == name)
            return &v;
    return nullptr;
}

bool Value::is_zero() const {
    switch (kind()) {
    case Kind::Null: return true;
    case Kind::Int:
    case Kind::UInt:
    case Kind::Bool: return as_uint() == 0;
    case Kind::Double: return as_double() == 0.0;
    case Kind::String: return as_string().empty();
    case Kind::List:
        return std::all_of(as_list().begin(), as_list().end(), [](const Value &v) { return v.is_zero(); });
    case Kind::Struct:
        return std::all_of(as_struct().begin(), as_struct().end(),
                           [](const ValueField &f) { return f.second.is_zero(); });
    case Kind::Bytes: {
        const auto &d = as_bytes().data;
        return std::all_of(d.begin(), d.end(), [](std::uint8_t b) { return b == 0; });
    }
    }
    return false;
}

namespace {
int rankOf(const Value &v) {
    if (v.is_number())
        return 0;
    return v.kind() == Value::Kind::String ? 1 : 2;
}

int compareNumbers(const Value &a, const Value &b) {
    if (a.kind() == Value::Kind::Double || b.kind() == Value::Kind::Double) {
        double x = a.as_double(), y = b.as_double();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    bool aNeg = a.kind() == Value::Kind::Int && a.as_int() < 0;
    bool bNeg = b.kind() == Value::Kind::Int && b.as_int() < 0;
    if (aNeg != bNeg)
        return aNeg ? -1 : 1;
    if (aNeg) {
        std::int64_t x = a.as_int(), y = b.as_int();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    std::uint64_t x = a.as_uint(), y = b.as_uint();
    return x < y ? -1 : (x > y ? 1 : 0);
}

// Structs compare by their first numeric member (e.g. a "count" value struct), else by content.
const Value *firstNumber(const Value &v) {
    if (v.is_number())
        return &v;
    if (v.kind() == Value::Kind::Struct)
        for (const auto &f : v.as_struct())
            if (const Value *n = firstNumber(f.second))
                return n;
    return nullptr;
}
} // namespace

int Value::compare(const Value &a, const Value &b) {
    const Value *na = firstNumber(a), *nb = firstNumber(b);
    if (na && nb)
        return compareNumbers(*na, *nb);
    int ra = rankOf(a), rb = rankOf(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra == 1)
        return a.as_string().compare(b.as_string()) < 0 ? -1 : (a.as_string() == b.as_string() ? 0 : 1);
    return 0;
}

Value sum_values(const Value &a, const Value &b) {
    using K = Value::Kind;
    if (a.is_null())
        return b;
    if (a.is_number() && b.is_number()) {
        if (a.kind() == K::Double || b.kind() == K::Double)
            return Value::real(a.as_double() + b.as_double());
        if (a.kind() == K::Int || b.kind() == K::Int)
            return Value::integer(a.as_int() + b.as_int());
        if (a.kind() == K::Bool && b.kind() == K::Bool)
            return Value::boolean(a.as_bool() || b.as_bool());
        return Value::unsigned_integer(a.as_uint() + b.as_uint());
    }
    if (a.kind() == K::Struct && b.kind() == K::Struct && a.as_struct().size() == b.as_struct().size()) {
        ValueFields out = a.as_struct();
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i].second = sum_values(out[i].second, b.as_struct()[i].second);
        return Value::structure(std::move(out));
    }
    if (a.kind() == K::List && b.kind() == K::List && a.as_list().size() == b.as_list().size()) {
        ValueList out = a.as_list();
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = sum_values(out[i], b.as_list()[i]);
        return Value::list(std::move(out));
    }
    return a.is_zero() ? b : a;
}

} // namespace jitprobe
