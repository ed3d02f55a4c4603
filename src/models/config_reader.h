// Reads model hyper-parameters from whichever form the checkpoint has: an HF config.json key or
// a GGUF metadata key. Architecture files name both keys side by side.
//
// Every value comes from an untrusted file and sizes buffers later, so integers are checked to
// be integers within bounds (by default [1, INT32_MAX]) here, and architectures check them
// against the tensors before allocating anything from them.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "formats/checkpoint.h"

namespace llmrt {

constexpr int64_t kMaxConfigInt = std::numeric_limits<int32_t>::max();

class ConfigReader {
public:
    explicit ConfigReader(const Checkpoint &checkpoint) : ckpt_(checkpoint) {}

    bool is_gguf() const { return ckpt_.source == Checkpoint::Source::Gguf; }
    // GGUF keys may contain "{arch}", replaced by general.architecture.
    std::optional<double> number(const std::string &hf_key, const std::string &gguf_key) const;
    std::optional<std::string> string(const std::string &hf_key, const std::string &gguf_key) const;
    const nlohmann::json *hf(const std::string &key) const;  // nullptr when absent or null

    // Integers: throw Status::Format naming the file and key when the value is absent (required
    // only), not an integer (a fraction, a boolean, a string) or outside [min_value, max_value].
    int64_t required_int(const std::string &hf_key, const std::string &gguf_key, int64_t min_value = 1,
                         int64_t max_value = kMaxConfigInt) const;
    int64_t int_or(const std::string &hf_key, const std::string &gguf_key, int64_t fallback, int64_t min_value = 1,
                   int64_t max_value = kMaxConfigInt) const;
    double float_or(const std::string &hf_key, const std::string &gguf_key, double fallback) const;
    bool bool_or(const std::string &hf_key, const std::string &gguf_key, bool fallback) const;

    const std::string &path() const { return ckpt_.path; }
    bool has_tensor(const std::string &name) const { return ckpt_.find(name) != nullptr; }
    // For messages: the file holding the settings (config.json in an HF directory, else the GGUF
    // or llmrt file), a setting's key in quotes as this checkpoint names it, and both together.
    std::string file() const;
    std::string key(const std::string &hf_key, const std::string &gguf_key) const;
    std::string setting(const std::string &hf_key, const std::string &gguf_key) const {
        return file() + ": " + key(hf_key, gguf_key);
    }

private:
    std::string expand(const std::string &gguf_key) const;
    bool is_bool(const std::string &hf_key, const std::string &gguf_key) const;
    const Checkpoint &ckpt_;
};

}  // namespace llmrt
