#include "models/config_reader.h"

#include <cmath>
#include <sstream>

#include "core/error.h"

namespace llmrt {

std::string ConfigReader::expand(const std::string &gguf_key) const {
    const std::string marker = "{arch}";
    size_t at = gguf_key.find(marker);
    if (at == std::string::npos) return gguf_key;
    return gguf_key.substr(0, at) + ckpt_.architecture + gguf_key.substr(at + marker.size());
}

const nlohmann::json *ConfigReader::hf(const std::string &key) const {
    if (key.empty() || !ckpt_.hf_config.is_object()) return nullptr;
    auto it = ckpt_.hf_config.find(key);
    if (it == ckpt_.hf_config.end() || it->is_null()) return nullptr;
    return &*it;
}

std::optional<double> ConfigReader::number(const std::string &hf_key, const std::string &gguf_key) const {
    if (is_gguf()) {
        if (gguf_key.empty()) return std::nullopt;
        auto it = ckpt_.gguf_metadata.find(expand(gguf_key));
        if (it == ckpt_.gguf_metadata.end()) return std::nullopt;
        if (it->second.kind == MetaValue::Kind::Bool) return it->second.b ? 1.0 : 0.0;
        require(it->second.is_number(), Status::Format, setting(hf_key, gguf_key) + " is not a number");
        return it->second.as_double();
    }
    const nlohmann::json *v = hf(hf_key);
    if (!v) return std::nullopt;
    if (v->is_boolean()) return v->get<bool>() ? 1.0 : 0.0;
    require(v->is_number(), Status::Format, setting(hf_key, gguf_key) + " is not a number");
    return v->get<double>();
}

std::optional<std::string> ConfigReader::string(const std::string &hf_key, const std::string &gguf_key) const {
    if (is_gguf()) {
        if (gguf_key.empty()) return std::nullopt;
        auto it = ckpt_.gguf_metadata.find(expand(gguf_key));
        if (it == ckpt_.gguf_metadata.end() || it->second.kind != MetaValue::Kind::String) return std::nullopt;
        return it->second.s;
    }
    const nlohmann::json *v = hf(hf_key);
    if (!v || !v->is_string()) return std::nullopt;
    return v->get<std::string>();
}

std::string ConfigReader::file() const {
    const bool config_json = !is_gguf() && !ckpt_.packed_file;  // an llmrt file holds its config inside
    return ckpt_.path + (config_json ? "/config.json" : "");
}

std::string ConfigReader::key(const std::string &hf_key, const std::string &gguf_key) const {
    return "'" + (is_gguf() ? expand(gguf_key) : hf_key) + "'";
}

bool ConfigReader::is_bool(const std::string &hf_key, const std::string &gguf_key) const {
    if (!is_gguf()) {
        const nlohmann::json *v = hf(hf_key);
        return v && v->is_boolean();
    }
    if (gguf_key.empty()) return false;
    auto it = ckpt_.gguf_metadata.find(expand(gguf_key));
    return it != ckpt_.gguf_metadata.end() && it->second.kind == MetaValue::Kind::Bool;
}

int64_t ConfigReader::required_int(const std::string &hf_key, const std::string &gguf_key, int64_t min_value,
                                   int64_t max_value) const {
    require(number(hf_key, gguf_key).has_value(), Status::Format,
            setting(hf_key, gguf_key) + " is missing and is required");
    return int_or(hf_key, gguf_key, 0, min_value, max_value);
}

int64_t ConfigReader::int_or(const std::string &hf_key, const std::string &gguf_key, int64_t fallback,
                             int64_t min_value, int64_t max_value) const {
    std::optional<double> v = number(hf_key, gguf_key);
    if (!v) return fallback;
    // Doubles hold every integer up to 2^53 exactly, far beyond any bound used here.
    const bool ok = !is_bool(hf_key, gguf_key) && std::isfinite(*v) && *v == std::floor(*v) &&
                    *v >= static_cast<double>(min_value) && *v <= static_cast<double>(max_value);
    if (!ok) {
        std::ostringstream value;
        value << *v;
        fail(Status::Format, setting(hf_key, gguf_key) + " must be an integer from " + std::to_string(min_value) +
                                   " to " + std::to_string(max_value) + ", not " +
                                   (is_bool(hf_key, gguf_key) ? std::string("a boolean") : value.str()));
    }
    return static_cast<int64_t>(*v);
}

double ConfigReader::float_or(const std::string &hf_key, const std::string &gguf_key, double fallback) const {
    std::optional<double> v = number(hf_key, gguf_key);
    if (!v) return fallback;
    require(std::isfinite(*v), Status::Format, setting(hf_key, gguf_key) + " is not finite");
    return *v;
}

bool ConfigReader::bool_or(const std::string &hf_key, const std::string &gguf_key, bool fallback) const {
    std::optional<double> v = number(hf_key, gguf_key);
    return v ? *v != 0.0 : fallback;
}

}  // namespace llmrt
