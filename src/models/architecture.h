// What every model family provides: its hyper-parameters, its weights and a forward pass over a
// batch of tokens that appends to a KV cache. One implementation file per family.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/aligned_buffer.h"
#include "core/profiler.h"
#include "core/thread_pool.h"
#include "formats/checkpoint.h"
#include "models/weights.h"

namespace llmrt {

struct HyperParams {
    std::string family;  // registry name, e.g. "llama"
    int64_t n_vocab = 0;
    int64_t n_embd = 0;
    int64_t n_layer = 0;
    int64_t n_head = 0;
    int64_t n_head_kv = 0;
    int64_t head_dim = 0;
    int64_t n_ff = 0;
    int64_t n_ctx_train = 0;
    int64_t max_positions = 0;  // learned position tables end here; 0: no limit
};

// Points in a block's forward pass an observer may read (calibration collects the inputs of the
// linear layers through them; tests compare per-layer values). Unset, they cost one test each.
enum class Tap {
    AttnInput,     // input of q/k/v (after the norm)
    AttnOutInput,  // input of the attention output projection
    MlpInput,      // input of gate/up (and of the router)
    DownInput,     // input of the down projection (dense MLPs)
    BlockOutput,   // the residual stream after the block
};

class TapObserver {
public:
    virtual ~TapObserver() = default;
    // x: n rows of width floats, valid during the call.
    virtual void observe(Tap tap, int64_t layer, const float *x, int64_t n, int64_t width) = 0;
};

// Keys and values of past tokens, one slab per layer: [n_ctx][kv_dim]. Stored as f32, or as
// f16 (half the memory, and what llama.cpp keeps by default).
enum class KvType { F32, F16 };

struct KvLayerView {
    const float *k32 = nullptr, *v32 = nullptr;       // f32 cache
    const uint16_t *k16 = nullptr, *v16 = nullptr;    // f16 cache
    int64_t stride = 0;                               // elements between positions
};

class KvCache {
public:
    KvCache(KvType type, int64_t n_layer, int64_t n_ctx, int64_t kv_dim);
    // Writes n positions starting at pos (rounding to f16 when the cache is f16).
    void store(int64_t layer, int64_t pos, int64_t n, const float *k, const float *v);
    KvLayerView layer(int64_t layer) const;
    KvType type() const { return type_; }
    int64_t n_ctx() const { return n_ctx_; }

private:
    KvType type_;
    int64_t n_ctx_;
    int64_t kv_dim_;
    AlignedBuffer<float> k32_, v32_;
    AlignedBuffer<uint16_t> k16_, v16_;
};

struct ForwardBatch {
    const int32_t *tokens = nullptr;  // n ids, already checked to be < n_vocab
    int64_t n = 0;
    int64_t pos = 0;                  // position of tokens[0]; cache holds [0, pos)
    bool all_logits = false;          // logits for every token, else only for the last
    Profiler *profiler = nullptr;     // times each op when set (a step begun by the caller)
    TapObserver *taps = nullptr;      // sees the taps when set
};

class Architecture {
public:
    virtual ~Architecture() = default;
    const HyperParams &hparams() const { return hp_; }

    int64_t kv_dim() const { return hp_.n_head_kv * hp_.head_dim; }
    // Floats of scratch a forward pass of up to n_batch tokens needs with a cache of n_ctx.
    virtual size_t workspace_floats(int64_t n_batch, int64_t n_ctx, int n_threads) const = 0;
    // Weight bytes one decoded token reads: every matrix and vector once, but one row of the
    // token embedding table (unless the output head is the same matrix). Decode speed is bounded
    // by this over the memory bandwidth.
    virtual uint64_t decode_read_bytes() const = 0;
    // Writes n_vocab logits per returned token (n of them when all_logits, else 1) to logits.
    virtual void forward(const ForwardBatch &batch, KvCache &cache, float *workspace, ThreadPool &pool,
                         float *logits) const = 0;

protected:
    HyperParams hp_;
};

}  // namespace llmrt
