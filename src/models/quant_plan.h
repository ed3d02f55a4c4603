// Which weight matrices get which quantized format: the user's choice plus per-tensor-name
// overrides, resolved once per tensor while a model loads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kernels/quant_format.h"

namespace llmrt {

struct QuantOptions {
    QuantFormat format;                           // the default for every weight matrix
    std::string algorithm = "rtn";                // "rtn", "gptq" or "awq"
    ComputeDtype compute = ComputeDtype::Auto;
    std::optional<std::string> tensor_overrides;  // nullopt: the defaults (embeddings, head in int8)
    // Calibrated algorithms ("gptq", "awq"): the calibration text (plain text or JSONL with "text"),
    // samples of seq_len tokens drawn with seed, and GPTQ's knobs.
    std::string calibration_path;
    int64_t n_samples = 128;
    int64_t seq_len = 512;
    uint64_t seed = 0;
    double gptq_damp = 0.01;
    bool gptq_act_order = false;
    int gptq_clip_grid = 0;
    // What quantize writes: "llmrt" (our file), "hf-gptq" (a Hugging Face GPTQ directory) or
    // "gguf" (llama.cpp's file); quant/export.h. Loading ignores it.
    std::string output_format = "llmrt";
    // Called after each matrix with the fraction done; false cancels (throws Status::Cancelled).
    std::function<bool(float fraction, const std::string &tensor)> progress;
};

class QuantPlan {
public:
    // Throws Error(INVALID_ARGUMENT) for a malformed override list or unknown dtype.
    explicit QuantPlan(const QuantOptions &options);

    // The format for a weight matrix, or nullopt to keep it in f32.
    std::optional<QuantFormat> format_for(const std::string &tensor_name) const;
    const QuantOptions &options() const { return options_; }

private:
    struct Rule {
        std::string pattern;
        std::optional<QuantFormat> format;  // nullopt = keep f32
    };
    QuantOptions options_;
    std::vector<Rule> rules_;
};

// Glob with '*' matching any run of characters; a pattern without '*' also matches as a
// substring of the name.
bool tensor_pattern_matches(const std::string &pattern, const std::string &name);

}  // namespace llmrt
