#include "formats/metadata_json.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "core/error.h"

namespace llmrt {
namespace {

using nlohmann::json;

// Strict UTF-8 (no overlong forms, surrogates or code points above U+10FFFF), the rule nlohmann
// applies when it dumps a string.
bool is_valid_utf8(const std::string &s) {
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<uint8_t>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len = 0;
        uint32_t cp = 0, min = 0;
        if ((c >> 5) == 0x6) {
            len = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c >> 4) == 0xE) {
            len = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c >> 3) == 0x1E) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (len > s.size() - i) return false;
        for (size_t k = 1; k < len; ++k) {
            const auto b = static_cast<uint8_t>(s[i + k]);
            if ((b & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (b & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

std::string to_hex(const std::string &bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * bytes.size());
    for (char ch : bytes) {
        const auto b = static_cast<uint8_t>(ch);
        hex += digits[b >> 4];
        hex += digits[b & 0xF];
    }
    return hex;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool from_hex(const std::string &hex, std::string &out) {
    if (hex.size() % 2 != 0) return false;
    out.clear();
    out.reserve(hex.size() / 2);
    for (size_t i = 0; i < hex.size(); i += 2) {
        const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
        if (hi < 0 || lo < 0) return false;
        out += static_cast<char>(hi * 16 + lo);
    }
    return true;
}

bool kind_from_name(const std::string &name, MetaValue::Kind &out) {
    for (MetaValue::Kind k : {MetaValue::Kind::Int, MetaValue::Kind::UInt, MetaValue::Kind::Float,
                              MetaValue::Kind::Bool, MetaValue::Kind::String, MetaValue::Kind::Array}) {
        if (name == meta_kind_name(k)) {
            out = k;
            return true;
        }
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// Encoding

json encode_float(double f) {
    if (std::isnan(f)) return "nan";
    if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
    return f;
}

json encode_scalar(const MetaValue &v) {
    switch (v.kind) {
        case MetaValue::Kind::Int: return v.i;
        case MetaValue::Kind::UInt: return v.u;
        case MetaValue::Kind::Float: return encode_float(v.f);
        case MetaValue::Kind::Bool: return v.b;
        case MetaValue::Kind::String:
            if (is_valid_utf8(v.s)) return v.s;
            return json{{"hex", to_hex(v.s)}};
        case MetaValue::Kind::Array: break;
    }
    fail(Status::Internal, "encode_scalar called on an array");
}

// True when the array is non-empty and all its elements are scalars of one kind.
bool single_scalar_kind(const std::vector<MetaValue> &values, MetaValue::Kind &kind) {
    if (values.empty() || values[0].kind == MetaValue::Kind::Array) return false;
    kind = values[0].kind;
    return std::all_of(values.begin(), values.end(), [&](const MetaValue &v) { return v.kind == kind; });
}

json encode_value(const MetaValue &v, const std::string &key, int depth) {
    json j = {{"type", meta_kind_name(v.kind)}};
    if (v.kind != MetaValue::Kind::Array) {
        j["value"] = encode_scalar(v);
        return j;
    }
    if (depth >= kMaxMetadataArrayDepth) {
        fail(Status::InvalidArgument, "metadata '" + key + "' nests arrays deeper than " +
                                             std::to_string(kMaxMetadataArrayDepth) + " levels");
    }
    json values = json::array();
    MetaValue::Kind kind;
    if (single_scalar_kind(v.array, kind)) {
        j["element_type"] = meta_kind_name(kind);
        for (const MetaValue &e : v.array) values.push_back(encode_scalar(e));
    } else {
        for (const MetaValue &e : v.array) values.push_back(encode_value(e, key, depth + 1));
    }
    j["value"] = std::move(values);
    return j;
}

// ---------------------------------------------------------------------------------------------
// Decoding: `where` names the key ("<file>: gguf_metadata 'general.name'").

bool fits_int64(const json &j) {
    return j.is_number_integer() &&
           (!j.is_number_unsigned() ||
            j.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()));
}

MetaValue decode_scalar(const json &j, MetaValue::Kind kind, const std::string &where) {
    switch (kind) {
        case MetaValue::Kind::Int:
            if (fits_int64(j)) return MetaValue::from_int(j.get<int64_t>());
            break;
        case MetaValue::Kind::UInt:
            if (j.is_number_unsigned()) return MetaValue::from_uint(j.get<uint64_t>());
            break;
        case MetaValue::Kind::Float:
            if (j.is_number()) return MetaValue::from_float(j.get<double>());
            if (j == "nan") return MetaValue::from_float(std::numeric_limits<double>::quiet_NaN());
            if (j == "inf") return MetaValue::from_float(std::numeric_limits<double>::infinity());
            if (j == "-inf") return MetaValue::from_float(-std::numeric_limits<double>::infinity());
            break;
        case MetaValue::Kind::Bool:
            if (j.is_boolean()) return MetaValue::from_bool(j.get<bool>());
            break;
        case MetaValue::Kind::String: {
            if (j.is_string()) return MetaValue::from_string(j.get<std::string>());
            std::string bytes;
            if (j.is_object() && j.size() == 1 && j.contains("hex") && j["hex"].is_string() &&
                from_hex(j["hex"].get<std::string>(), bytes)) {
                return MetaValue::from_string(std::move(bytes));
            }
            break;
        }
        case MetaValue::Kind::Array: break;
    }
    fail(Status::Format,
         where + " holds a " + j.type_name() + " that is not a valid " + meta_kind_name(kind) + " value");
}

// The kind named by j[key], which must be a string naming one.
MetaValue::Kind decode_kind(const json &j, const char *key, const std::string &where) {
    auto it = j.find(key);
    MetaValue::Kind kind = MetaValue::Kind::Int;
    if (it == j.end() || !it->is_string() || !kind_from_name(it->get<std::string>(), kind)) {
        fail(Status::Format,
             where + " has no valid \"" + key + "\" (int, uint, float, bool, string, array)");
    }
    return kind;
}

MetaValue decode_value(const json &j, const std::string &where, int depth) {
    if (!j.is_object() || !j.contains("value")) {
        fail(Status::Format, where + " is not a {\"type\", \"value\"} object");
    }
    const MetaValue::Kind kind = decode_kind(j, "type", where);
    const json &value = j["value"];
    if (kind != MetaValue::Kind::Array) return decode_scalar(value, kind, where);

    if (!value.is_array()) {
        fail(Status::Format, where + " is an array whose value is a " + value.type_name());
    }
    if (depth >= kMaxMetadataArrayDepth) {
        fail(Status::Format,
             where + " nests arrays deeper than " + std::to_string(kMaxMetadataArrayDepth) + " levels");
    }
    std::vector<MetaValue> elements;
    elements.reserve(value.size());
    if (!j.contains("element_type")) {
        for (const json &e : value) elements.push_back(decode_value(e, where, depth + 1));
        return MetaValue::from_array(std::move(elements));
    }
    const MetaValue::Kind element_kind = decode_kind(j, "element_type", where);
    if (element_kind == MetaValue::Kind::Array) {
        fail(Status::Format, where + " has \"element_type\" array, which needs full elements instead");
    }
    for (const json &e : value) elements.push_back(decode_scalar(e, element_kind, where));
    return MetaValue::from_array(std::move(elements));
}

}  // namespace

nlohmann::json metadata_to_json(const Metadata &metadata) {
    json j = json::object();
    for (const auto &[key, value] : metadata) j[key] = encode_value(value, key, 0);
    return j;
}

Metadata metadata_from_json(const nlohmann::json &j, const std::string &where) {
    if (!j.is_object()) fail(Status::Format, where + " is not a JSON object");
    Metadata metadata;
    for (const auto &item : j.items()) {
        if (item.key().empty()) fail(Status::Format, where + " has an empty key");
        metadata.emplace(item.key(), decode_value(item.value(), where + " '" + item.key() + "'", 0));
    }
    return metadata;
}

}  // namespace llmrt
