// Reads model hyper-parameters from whichever form the checkpoint has: an HF config.json key or
// a GGUF metadata key. Architecture files name both keys side by side.
#pragma once

#include <optional>
#include <string>

#include "formats/checkpoint.h"

namespace llmrt {

class ConfigReader {
public:
    explicit ConfigReader(const Checkpoint &checkpoint) : ckpt_(checkpoint) {}

    bool is_gguf() const { return ckpt_.source == Checkpoint::Source::Gguf; }
    // GGUF keys may contain "{arch}", replaced by general.architecture.
    std::optional<double> number(const std::string &hf_key, const std::string &gguf_key) const;
    std::optional<std::string> string(const std::string &hf_key, const std::string &gguf_key) const;
    const nlohmann::json *hf(const std::string &key) const;  // nullptr when absent or null

    // Required values: throw LLMRT_ERR_FORMAT naming the file and key when absent or invalid.
    int64_t required_int(const std::string &hf_key, const std::string &gguf_key, int64_t min_value = 1) const;
    int64_t int_or(const std::string &hf_key, const std::string &gguf_key, int64_t fallback) const;
    double float_or(const std::string &hf_key, const std::string &gguf_key, double fallback) const;
    bool bool_or(const std::string &hf_key, const std::string &gguf_key, bool fallback) const;

    const std::string &path() const { return ckpt_.path; }

private:
    std::string expand(const std::string &gguf_key) const;
    const Checkpoint &ckpt_;
};

}  // namespace llmrt
