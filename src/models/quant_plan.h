// Which weight matrices get which quantized format: the user's choice plus per-tensor-name
// overrides, resolved once per tensor while a model loads.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kernels/quant_format.h"

namespace llmrt {

// SmoothQuant's knobs (quant/smoothquant.h says what they do); here so QuantOptions holds their
// defaults once, for the library, the C API and the CLI.
struct SmoothQuantOptions {
    double alpha = 0.5;
    // Search alpha per group of layers sharing an input on alpha_min, alpha_min + step, ...,
    // alpha_max, for the lowest W8A8 output error on calibration inputs.
    bool auto_alpha = false;
    double alpha_min = 0.5, alpha_max = 0.95, alpha_step = 0.05;
    bool criterion_max = false;  // a group's error: the max over its layers (else the mean)
    bool static_act = false;     // one activation scale per layer from calibration, else per token
    // Static: the scale is this percentile of |x| over the calibration inputs (after smoothing);
    // 100 is their max (min-max), smaller values clip outliers.
    double act_percentile = 100.0;
    // Calibration tokens (rows) kept per input for the alpha search and a percentile.
    int64_t sample_rows = 512;
};

// Tensors whose name matches pattern (tensor_pattern_matches) take dtype: "f32" (kept), a kind
// such as "int8" (group, scheme and scale type of the base format) or a full weight type name
// such as "int4_g16_asym_fp16". The first matching entry wins.
struct TensorOverride {
    std::string pattern;
    std::string dtype;
};
// The C API's string form, "pattern=dtype;pattern=dtype" (spaces around items ignored), as a
// list. Throws Error(INVALID_ARGUMENT) for an item that is not pattern=dtype.
std::vector<TensorOverride> parse_tensor_overrides(const std::string &list);

struct QuantOptions {
    QuantFormat format;                           // the default for every weight matrix
    std::string algorithm = "rtn";                // "rtn", "gptq", "awq" or "smoothquant"
    ComputeDtype compute = ComputeDtype::Auto;
    // nullopt: the defaults (embeddings and head in int8; f32 for an hf-gptq output).
    std::optional<std::vector<TensorOverride>> tensor_overrides;
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
    SmoothQuantOptions smoothquant;
    // Tensor name patterns (as in tensor_overrides) kept in f32 whatever the rest says: the
    // fallback lists of SmoothQuant's recipes (layers too sensitive for int8 activations).
    std::vector<std::string> keep_f32;
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
