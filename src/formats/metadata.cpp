#include "formats/metadata.h"

#include <cmath>
#include <utility>

#include "core/error.h"

namespace llmrt {

const char *meta_kind_name(MetaValue::Kind kind) {
    switch (kind) {
        case MetaValue::Kind::Int: return "int";
        case MetaValue::Kind::UInt: return "uint";
        case MetaValue::Kind::Float: return "float";
        case MetaValue::Kind::Bool: return "bool";
        case MetaValue::Kind::String: return "string";
        case MetaValue::Kind::Array: return "array";
    }
    return "unknown";
}

double MetaValue::as_double() const {
    switch (kind) {
        case Kind::Int: return static_cast<double>(i);
        case Kind::UInt: return static_cast<double>(u);
        case Kind::Float: return f;
        default:
            fail(Status::Format,
                 std::string("metadata value is a ") + meta_kind_name(kind) + ", not a number");
    }
}

int64_t MetaValue::as_int() const {
    switch (kind) {
        case Kind::Int: return i;
        case Kind::UInt:
            require(u <= static_cast<uint64_t>(INT64_MAX), Status::Format,
                    "metadata value " + std::to_string(u) + " does not fit in int64");
            return static_cast<int64_t>(u);
        case Kind::Float:
            // -2^63 is exact as a double; 2^63 is the first value above the int64 range.
            require(std::isfinite(f) && f >= -9223372036854775808.0 && f < 9223372036854775808.0,
                    Status::Format, "metadata value " + std::to_string(f) + " does not fit in int64");
            return static_cast<int64_t>(f);
        default:
            fail(Status::Format,
                 std::string("metadata value is a ") + meta_kind_name(kind) + ", not a number");
    }
}

MetaValue MetaValue::from_int(int64_t v) {
    MetaValue m;
    m.kind = Kind::Int;
    m.i = v;
    return m;
}

MetaValue MetaValue::from_uint(uint64_t v) {
    MetaValue m;
    m.kind = Kind::UInt;
    m.u = v;
    return m;
}

MetaValue MetaValue::from_float(double v) {
    MetaValue m;
    m.kind = Kind::Float;
    m.f = v;
    return m;
}

MetaValue MetaValue::from_bool(bool v) {
    MetaValue m;
    m.kind = Kind::Bool;
    m.b = v;
    return m;
}

MetaValue MetaValue::from_string(std::string v) {
    MetaValue m;
    m.kind = Kind::String;
    m.s = std::move(v);
    return m;
}

MetaValue MetaValue::from_array(std::vector<MetaValue> v) {
    MetaValue m;
    m.kind = Kind::Array;
    m.array = std::move(v);
    return m;
}

}  // namespace llmrt
