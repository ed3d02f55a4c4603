// Typed key/value metadata as GGUF stores it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace llmrt {

struct MetaValue {
    enum class Kind { Int, UInt, Float, Bool, String, Array };
    Kind kind = Kind::Int;
    int64_t i = 0;
    uint64_t u = 0;
    double f = 0.0;
    bool b = false;
    std::string s;
    std::vector<MetaValue> array;

    bool is_number() const { return kind == Kind::Int || kind == Kind::UInt || kind == Kind::Float; }
    // Numbers only; anything else throws Error(Status::Format). as_int truncates a Float
    // toward zero and throws when the value does not fit in int64.
    double as_double() const;
    int64_t as_int() const;

    static MetaValue from_int(int64_t v);
    static MetaValue from_uint(uint64_t v);
    static MetaValue from_float(double v);
    static MetaValue from_bool(bool v);
    static MetaValue from_string(std::string v);
    static MetaValue from_array(std::vector<MetaValue> v);
};

// Name of a kind for messages ("int", "string"...).
const char *meta_kind_name(MetaValue::Kind kind);

using Metadata = std::map<std::string, MetaValue>;

}  // namespace llmrt
