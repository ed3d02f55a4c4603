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
    double as_double() const;  // numbers only
    int64_t as_int() const;    // numbers only
};

using Metadata = std::map<std::string, MetaValue>;

}  // namespace llmrt
