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

// A matrix decoded to f32, [rows][cols].
std::vector<float> unpack_matrix(const Matrix &m);
// Every f32 matrix of the store the plan quantizes, rounded to nearest (in the store only: what
// the model computes with is not changed). What each method does last, for what it does not
// calibrate (embeddings, a tied head, experts).
void round_remaining(WeightStore &store, const QuantPlan &plan, ThreadPool &pool);

// What every calibrated method shares: each sample's input of the current block, held for all
// samples at once, a KV cache and a workspace for one sample, and the pool. A method runs the
// block with its observers (observe), changes the block's weights, then advances to the next
// block's inputs computed from the block as it now is.
// Called after each sample a block has run over, with (samples done, samples); may throw to stop.
using SampleProgress = std::function<void(size_t done, size_t total)>;

// progress(fraction, what) when given; Status::Cancelled when it returns false.
void report_progress(const std::function<bool(float, const std::string &)> &progress, float fraction,
                     const std::string &what);

// A SampleProgress reporting progress(layer / n_layer, "<what>, sample i/n") and throwing
// Status::Cancelled when it returns false; empty when progress is.
SampleProgress sample_progress(const std::function<bool(float, const std::string &)> &progress, int64_t layer,
                               int64_t n_layer, const std::string &what);

class BlockRunner {
public:
    BlockRunner(Model &model, const std::vector<std::vector<int32_t>> &samples, int n_threads);

    ThreadPool &pool() { return pool_; }
    int64_t seq_len() const { return seq_; }
    // Runs block `layer` over every sample's current input (left unchanged) with `taps` attached.
    void observe(int64_t layer, TapObserver &taps, const SampleProgress &each = {});
    // Replaces every sample's input by block `layer`'s output (the next block's input).
    void advance(int64_t layer, const SampleProgress &each = {});
    // Sample s's current input: seq_len rows of n_embd floats.
    const float *input(size_t s) const { return x_.data() + s * static_cast<size_t>(seq_ * d_); }
    size_t n_samples() const { return samples_.size(); }

private:
    ForwardBatch batch_of(size_t s, TapObserver *taps) const;

    Architecture &arch_;
    const std::vector<std::vector<int32_t>> &samples_;
    int64_t seq_, d_;
    ThreadPool pool_;
    KvCache cache_;
    AlignedBuffer<float> ws_;
    std::vector<float> x_, tmp_;
};

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
