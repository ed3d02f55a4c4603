// The attention cache: keys and values of past tokens, one slab per layer.
#pragma once

#include <cstdint>

#include "core/aligned_buffer.h"

namespace llmrt {

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

}  // namespace llmrt
