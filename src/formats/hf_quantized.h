// Pre-quantized Hugging Face checkpoints: GPTQ (AutoGPTQ's "gptq" layout and GPTQModel's
// "gptq_v2") and AWQ (AutoAWQ's GEMM layout). config.json's quantization_config says which; a
// quantized Linear "P" then has P.qweight / P.qzeros / P.scales (/ P.g_idx) instead of P.weight.
// This file decodes them into integer codes, scales and zero points in the [out, in] layout of
// an nn.Linear weight; it never knows kernel layouts (models/weights.cpp repacks them).
//
// The bit layouts, as ../shared/models/quantized-hf/README.md documents them from the projects'
// code: GPTQ packs qweight along the input dimension (word [r, o] holds inputs r*per + j at bits
// [bits*j, bits*j + bits), per = 32/bits) and qzeros along the output dimension, storing zero - 1
// ("gptq") or the zero itself ("gptq_v2"); value = scale[g_idx[i], o] * (code - zero). AWQ GEMM
// packs both qweight [in, out/8] and qzeros along the output dimension, nibble k of word c holding
// output 8c + [0, 2, 4, 6, 1, 3, 5, 7][k], zeros stored as they are, groups of consecutive inputs.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "formats/checkpoint.h"

namespace llmrt {

struct HfQuantConfig {
    enum class Method { Gptq, Awq };
    Method method = Method::Gptq;
    int bits = 4;
    int64_t group_size = 128;  // -1: one group over the whole input (GPTQ only)
    bool sym = true;           // GPTQ: its "sym" (informative: the zero points say what they are)
    bool desc_act = false;     // GPTQ act-order: g_idx need not be monotonic
    bool zeros_minus_one = true;  // GPTQ "gptq" (v1) stores zero - 1; "gptq_v2" and AWQ the zero
    std::string describe() const;  // "GPTQ 4-bit group 128", for messages
};

// The quantization_config of an HF config.json. Throws Status::Format when it is absent or
// malformed, Status::Unsupported (naming what) for methods and variants other than GPTQ
// ("gptq"/"gptq_v2" checkpoint_format, 4 or 8 bits) and AWQ GEMM (4 bits, zero_point).
HfQuantConfig read_hf_quant_config(const nlohmann::json &config, const std::string &where);

// True when the checkpoint holds "<prefix>.qweight".
bool has_hf_quantized_linear(const Checkpoint &checkpoint, const std::string &prefix);

// The [out, in] shape the tensors of "<prefix>" imply (out from its scales, in from its qweight and
// the config's bits), to check settings against before loading; read_hf_quantized_linear checks
// every tensor in full. Throws like read_hf_quant_config, and Status::Format naming a missing or
// not 2-D tensor.
std::vector<int64_t> hf_quantized_linear_shape(const Checkpoint &checkpoint, const std::string &prefix);

// One quantized Linear, decoded. Input column i belongs to group g_idx[i] (i / group_size unless
// GPTQ act-order); value[o, i] = scales[o, g] * (codes[o, i] - zeros[o, g]), g = g_idx[i], which
// float32 computes exactly (scales are float16 in the files).
struct HfQuantLinear {
    int bits = 4;
    int64_t rows = 0, cols = 0;  // out and in features
    int64_t group_size = 0;      // columns per group (cols for a whole-row group)
    int64_t n_groups = 0;
    bool f16_scales = false;     // the file's scales are float16 (else float32 or bfloat16)
    std::vector<uint8_t> codes;  // [rows, cols]
    std::vector<float> scales;   // [rows, n_groups]
    std::vector<int32_t> zeros;  // [rows, n_groups], the effective zero point (GPTQ v1: already + 1)
    std::vector<int32_t> g_idx;  // [cols]

    float value(int64_t o, int64_t i) const {
        const size_t p = static_cast<size_t>(o * n_groups + g_idx[static_cast<size_t>(i)]);
        const int32_t code = codes[static_cast<size_t>(o * cols + i)];
        return scales[p] * static_cast<float>(code - zeros[p]);
    }
};

// Decodes "<prefix>.qweight" etc. for an nn.Linear of `rows` outputs and `cols` inputs. Every
// tensor's dtype and shape and every g_idx value are checked first: Status::Format naming the
// tensor when one is missing or wrong.
HfQuantLinear read_hf_quantized_linear(const Checkpoint &checkpoint, const HfQuantConfig &config,
                                       const std::string &prefix, int64_t rows, int64_t cols);

}  // namespace llmrt
