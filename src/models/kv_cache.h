// The attention cache: keys and values of past tokens, one slab per layer and sequence.
#pragma once

#include <cstdint>

#include "core/aligned_buffer.h"

namespace llmrt {

// How keys and values are stored. F32; F16 (half the memory, llama.cpp's default numerics); BF16
// (half, f32's range, fewer mantissa bits); Int8 (a quarter plus a scale: each head's row of one
// position as int8 codes with one f32 scale, max|x| / 127).
enum class KvType { F32, F16, BF16, Int8 };
const char *kv_type_name(KvType type);  // "f32", "f16", "bf16", "q8"

// One layer of the cache: [n_ctx][kv_dim] elements of the type, `stride` elements between
// positions. Int8's scales are [n_ctx][kv_dim / head_dim]: scale (pos, kv head).
struct KvLayerView {
    KvType type = KvType::F32;
    const void *k = nullptr, *v = nullptr;
    const float *k_scale = nullptr, *v_scale = nullptr;  // Int8 only
    int64_t stride = 0;
    int64_t head_dim = 0;

    const float *k32() const { return static_cast<const float *>(k); }
    const float *v32() const { return static_cast<const float *>(v); }
    const uint16_t *k16() const { return static_cast<const uint16_t *>(k); }
    const uint16_t *v16() const { return static_cast<const uint16_t *>(v); }
    const int8_t *k8() const { return static_cast<const int8_t *>(k); }
    const int8_t *v8() const { return static_cast<const int8_t *>(v); }
    // Int8: the scale of the row at element offset `at` (a position's row start plus a head's).
    float k_scale_at(int64_t at) const { return k_scale[at / head_dim]; }
    float v_scale_at(int64_t at) const { return v_scale[at / head_dim]; }
};

class KvCache {
public:
    // head_dim: the width one Int8 scale covers (kv_dim must be a multiple of it). n_seq
    // independent sequences of n_ctx positions each; sequence 0's slabs come first, so a
    // one-sequence cache is laid out as before.
    KvCache(KvType type, int64_t n_layer, int64_t n_ctx, int64_t kv_dim, int64_t head_dim, int64_t n_seq = 1);
    // Writes n positions of sequence seq starting at pos, rounded to the cache's type.
    void store(int64_t layer, int64_t pos, int64_t n, const float *k, const float *v, int64_t seq = 0);
    KvLayerView layer(int64_t layer, int64_t seq = 0) const;
    // Copies positions [first, n) of every layer from sequence src to dst (src != dst).
    void copy_seq(int64_t src, int64_t dst, int64_t first, int64_t n);
    KvType type() const { return type_; }
    int64_t n_ctx() const { return n_ctx_; }
    int64_t n_seq() const { return n_seq_; }
    size_t nbytes() const { return k_.size() + v_.size() + (k_scale_.size() + v_scale_.size()) * sizeof(float); }

    // StreamingLLM, on sequence 0 (the one a context shifts). move_positions copies the keys and
    // values (and Int8 scales) of the n positions [src, src + n) of every layer to [dst, dst + n),
    // dst < src: the cache's contents as they are, without rounding again.
    void move_positions(int64_t src, int64_t dst, int64_t n);
    // The keys of n positions from pos of one layer as f32 (out: n * kv_dim floats), and back,
    // rounded to the cache's type (Int8: a new scale per head row), so a caller can re-rotate them.
    void load_keys(int64_t layer, int64_t pos, int64_t n, float *out) const;
    void store_keys(int64_t layer, int64_t pos, int64_t n, const float *k);
    int64_t kv_dim() const { return kv_dim_; }

private:
    void store_rows(const float *src, int64_t count, uint8_t *dst, float *scales) const;
    void load_rows(const uint8_t *src, const float *scales, int64_t count, float *dst) const;
    // Element offset of (seq, layer, pos) in k_ / v_.
    size_t offset(int64_t seq, int64_t layer, int64_t pos) const {
        return static_cast<size_t>(((seq * n_layer_ + layer) * n_ctx_ + pos) * kv_dim_);
    }

    KvType type_;
    int64_t n_ctx_;
    int64_t kv_dim_;
    int64_t head_dim_;
    int64_t n_layer_;
    int64_t n_seq_;
    AlignedBuffer<uint8_t> k_, v_;
    AlignedBuffer<float> k_scale_, v_scale_;
};

}  // namespace llmrt
