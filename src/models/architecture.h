// What every model family provides: its hyper-parameters, its weights and a forward pass over a
// batch of tokens that appends to a KV cache. One implementation file per family.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/aligned_buffer.h"
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
};

// Keys and values of past tokens, one slab per layer: [n_ctx][kv_dim] floats.
struct KvCache {
    KvCache(int64_t n_layer, int64_t n_ctx, int64_t kv_dim)
        : n_ctx(n_ctx), kv_dim(kv_dim), keys(static_cast<size_t>(n_layer * n_ctx * kv_dim)),
          values(static_cast<size_t>(n_layer * n_ctx * kv_dim)) {}
    float *k(int64_t layer, int64_t pos) { return keys.data() + (layer * n_ctx + pos) * kv_dim; }
    float *v(int64_t layer, int64_t pos) { return values.data() + (layer * n_ctx + pos) * kv_dim; }

    int64_t n_ctx;
    int64_t kv_dim;
    AlignedBuffer<float> keys;
    AlignedBuffer<float> values;
};

struct ForwardBatch {
    const int32_t *tokens = nullptr;  // n ids, already checked to be < n_vocab
    int64_t n = 0;
    int64_t pos = 0;                  // position of tokens[0]; cache holds [0, pos)
    bool all_logits = false;          // logits for every token, else only for the last
};

class Architecture {
public:
    virtual ~Architecture() = default;
    const HyperParams &hparams() const { return hp_; }
    virtual uint64_t n_params() const = 0;
    virtual uint64_t weight_bytes() const = 0;
    virtual const char *weight_type() const = 0;

    int64_t kv_dim() const { return hp_.n_head_kv * hp_.head_dim; }
    // Floats of scratch a forward pass of up to n_batch tokens needs with a cache of n_ctx.
    virtual size_t workspace_floats(int64_t n_batch, int64_t n_ctx, int n_threads) const = 0;
    // Writes n_vocab logits per returned token (n of them when all_logits, else 1) to logits.
    virtual void forward(const ForwardBatch &batch, KvCache &cache, float *workspace, ThreadPool &pool,
                         float *logits) const = 0;

protected:
    HyperParams hp_;
};

}  // namespace llmrt
