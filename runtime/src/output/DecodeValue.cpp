// jitprobe::Value helpers: numeric views, zero test, ordering, field-wise sums.
#include "jitprobe/Value.h"

#include <algorithm>

namespace jitprobe {

bool Value::isNumber() const {
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

std::int64_t Value::asInt() const {
    switch (kind()) {
    case Kind::Int: return std::get<std::int64_t>(storage_);
    case Kind::UInt: return static_cast<std::int64_t>(std::get<std::uint64_t>(storage_));
    case Kind::Bool: return std::get<bool>(storage_) ? 1 : 0;
    case Kind::Double: return static_cast<std::int64_t>(std::get<double>(storage_));
    default: return 0;
    }
}

std::uint64_t Value::asUInt() const {
    if (kind() == Kind::UInt)
        return std::get<std::uint64_t>(storage_);
    return static_cast<std::uint64_t>(asInt());
}

double Value::asDouble() const {
    switch (kind()) {
    case Kind::Double: return std::get<double>(storage_);
    case Kind::UInt: return static_cast<double>(std::get<std::uint64_t>(storage_));
    default: return static_cast<double>(asInt());
    }
}

const Value *Value::field(const std::string &name) const {
    if (kind() != Kind::Struct)
        return nullptr;
    for (const auto &[n, v] : asStruct())
        if (n == name)
            return &v;
    return nullptr;
}

bool Value::isZero() const {
    switch (kind()) {
    case Kind::Null: return true;
    case Kind::Int:
    case Kind::UInt:
    case Kind::Bool: return asUInt() == 0;
    case Kind::Double: return asDouble() == 0.0;
    case Kind::String: return asString().empty();
    case Kind::List:
        return std::all_of(asList().begin(), asList().end(), [](const Value &v) { return v.isZero(); });
    case Kind::Struct:
        return std::all_of(asStruct().begin(), asStruct().end(),
                           [](const ValueField &f) { return f.second.isZero(); });
    case Kind::Bytes: {
        const auto &d = asBytes().data;
        return std::all_of(d.begin(), d.end(), [](std::uint8_t b) { return b == 0; });
    }
    }
    return false;
}

namespace {
int rankOf(const Value &v) {
    if (v.isNumber())
        return 0;
    return v.kind() == Value::Kind::String ? 1 : 2;
}

int compareNumbers(const Value &a, const Value &b) {
    if (a.kind() == Value::Kind::Double || b.kind() == Value::Kind::Double) {
        double x = a.asDouble(), y = b.asDouble();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    bool aNeg = a.kind() == Value::Kind::Int && a.asInt() < 0;
    bool bNeg = b.kind() == Value::Kind::Int && b.asInt() < 0;
    if (aNeg != bNeg)
        return aNeg ? -1 : 1;
    if (aNeg) {
        std::int64_t x = a.asInt(), y = b.asInt();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    std::uint64_t x = a.asUInt(), y = b.asUInt();
    return x < y ? -1 : (x > y ? 1 : 0);
}

// Structs compare by their first numeric member (e.g. a "count" value struct), else by content.
const Value *firstNumber(const Value &v) {
    if (v.isNumber())
        return &v;
    if (v.kind() == Value::Kind::Struct)
        for (const auto &f : v.asStruct())
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
        return a.asString().compare(b.asString()) < 0 ? -1 : (a.asString() == b.asString() ? 0 : 1);
    return 0;
}

Value sumValues(const Value &a, const Value &b) {
    using K = Value::Kind;
    if (a.isNull())
        return b;
    if (a.isNumber() && b.isNumber()) {
        if (a.kind() == K::Double || b.kind() == K::Double)
            return Value::real(a.asDouble() + b.asDouble());
        if (a.kind() == K::Int || b.kind() == K::Int)
            return Value::integer(a.asInt() + b.asInt());
        if (a.kind() == K::Bool && b.kind() == K::Bool)
            return Value::boolean(a.asBool() || b.asBool());
        return Value::unsignedInteger(a.asUInt() + b.asUInt());
    }
    if (a.kind() == K::Struct && b.kind() == K::Struct && a.asStruct().size() == b.asStruct().size()) {
        ValueFields out = a.asStruct();
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i].second = sumValues(out[i].second, b.asStruct()[i].second);
        return Value::structure(std::move(out));
    }
    if (a.kind() == K::List && b.kind() == K::List && a.asList().size() == b.asList().size()) {
        ValueList out = a.asList();
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = sumValues(out[i], b.asList()[i]);
        return Value::list(std::move(out));
    }
    return a.isZero() ? b : a;
}

} // namespace jitprobe
