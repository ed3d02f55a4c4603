// Calibrated quantization of a loaded f32 model, block by block: the inputs of block i are
// computed once, from blocks 0..i-1 already quantized, and held for every sample (one block's
// activations, never the whole model's); the inputs of each linear layer are collected through
// the forward pass's taps, so every family is calibrated the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/model.h"
#include "models/quant_plan.h"
#include "quant/awq.h"
#include "quant/gptq.h"

namespace llmrt {

struct CalibrationOptions {
    std::string path;         // plain text, or JSONL with a "text" field per line
    int64_t n_samples = 128;
    int64_t seq_len = 512;    // tokens per sample (BOS first where the tokenizer has one)
    uint64_t seed = 0;
};

// n_samples windows of seq_len tokens at seeded random offsets of the whole text, tokenized
// once (as GPTQ's reference samples its calibration set). Throws Status::Io, Status::Format,
// Status::InvalidArgument (text shorter than one sample).
std::vector<std::vector<int32_t>> calibration_samples(const Tokenizer &tokenizer, const CalibrationOptions &options);

// GPTQ on every block linear the plan quantizes to int4/int8 (true-sequential: q, k, v; then o;
// then gate, up; then down) and on an untied output head; round to nearest for the other
// matrices the plan quantizes (embeddings, experts). The
// model's store then holds what an llmrt file should contain. progress(fraction, what) returning
// false cancels (Status::Cancelled).
void quantize_with_gptq(Model &model, const QuantPlan &plan, const std::vector<std::vector<int32_t>> &samples,
                        const GptqOptions &options, int n_threads,
                        const std::function<bool(float, const std::string &)> &progress);

// AWQ (quant/awq.h) on every block's q/k/v (or qkv), gate/up and down, into whatever type the
// plan gives them (int, nf4, fp4, fp8), the scales folded into the attention norm, the MLP norm
// and up's rows through Architecture::scale_block_input; round to nearest where folding is
// impossible, for o and for the other matrices the plan quantizes. Calibrated block by block as
// quantize_with_gptq is; the model's store then holds what an llmrt file should contain.
void quantize_with_awq(Model &model, const QuantPlan &plan, const std::vector<std::vector<int32_t>> &samples,
                       const AwqOptions &options, int n_threads,
                       const std::function<bool(float, const std::string &)> &progress);

}  // namespace llmrt
