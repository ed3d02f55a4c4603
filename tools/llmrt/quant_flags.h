// The weight quantization options, shared by `llmrt quantize` (to a file) and by the commands
// that load a model (in memory while loading, like load_in_4bit elsewhere).
#pragma once

#include "args.h"
#include "library.h"

#include <string>
#include <vector>

namespace cli {

enum class QuantFlagUse {
    Quantize, // llmrt quantize: --weight-dtype defaults to int4; --algorithm
    Load,     // generate, perplexity, info: one optional --weight-dtype ("f32" = none)
    LoadList, // bench: --weight-dtype may be a comma list, one set of rows per type
};

// The values as given on the command line.
struct QuantFlags {
    std::string weight_dtype;
    std::string algorithm = "rtn";
    int32_t group_size = 32;
    std::string alg = "sym";
    std::string scale_dtype = "fp32";
    std::string compute_dtype = "auto";
    std::string overrides;
    std::string calibration_path;
    int32_t n_samples = 128;
    int32_t seq_len = 512;
    uint64_t calib_seed = 0;
    std::string damp = "0.01";
    bool act_order = false;
    int32_t clip_grid = 0;
    std::string output_format = "llmrt";
    std::string sq_alpha, sq_alpha_min, sq_alpha_max, sq_alpha_step, sq_criterion, sq_act, sq_percentile, sq_keep;
};

// Registers --weight-dtype, --group-size, --alg, --scale-dtype, --compute-dtype, --overrides (and
// --algorithm for Quantize) on args, storing into *flags.
void add_quant_flags(ArgParser &args, QuantFlags *flags, QuantFlagUse use);

// After args.parse(): checks the flags (with llmrt_quantizer_create, which knows every valid name)
// and returns one QuantSettings per --weight-dtype entry: exactly one except for LoadList. For the
// load commands an entry may be "f32" (keep the file's types), and --compute-dtype without
// --weight-dtype sets the compute type of weights a file already stores quantized. Throws
// UsageError.
std::vector<QuantSettings> quant_settings(const ArgParser &args, const QuantFlags &flags,
                                          QuantFlagUse use);

} // namespace cli
