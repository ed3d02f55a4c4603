// Building blocks shared by the architectures. Activations are row-major: [n tokens][width].
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "models/architecture.h"

namespace llmrt {

// out = x / rms(x) * (weight + weight_offset), per row. Gemma stores weight - 1 (offset 1).
void rms_norm(const float *x, const float *weight, float *out, int64_t n, int64_t width, float eps,
              float weight_offset = 0.0f);

// out = (x - mean) / sqrt(var + eps) * weight + bias, per row; bias may be nullptr.
void layer_norm(const float *x, const float *weight, const float *bias, float *out, int64_t n, int64_t width,
                float eps);

enum class Activation {
    Silu,
    GeluExact,  // x * Phi(x), with erf
    GeluTanh,   // the tanh approximation ("gelu_new", "gelu_pytorch_tanh")
    Relu,
};
void activate(Activation act, float *x, int64_t count);
// out[i] = act(gate[i]) * up[i]
void act_mul(Activation act, const float *gate, const float *up, float *out, int64_t count);

// ALiBi's per-head slopes (BLOOM, MPT; llama.cpp's rule): 2^(-max_bias * (h+1) / n) for the
// largest power of two n <= n_head, the remaining heads interleaved at half that step.
std::vector<float> alibi_slopes(int64_t n_head, float max_bias);

// x[i] += y[i]
void add_inplace(float *x, const float *y, int64_t count);
// Adds bias (width floats) to each of n rows.
void add_bias(float *x, const float *bias, int64_t n, int64_t width);
// out[i] = silu(gate[i]) * up[i]
void silu_mul(const float *gate, const float *up, float *out, int64_t count);

struct RopeScaling {
    enum class Kind { None, Linear, Llama3 };
    Kind kind = Kind::None;
    double factor = 1.0;
    double low_freq_factor = 1.0;
    double high_freq_factor = 4.0;
    double original_max_positions = 8192.0;
};

// theta^(-2i/rot_dims) for i in [0, rot_dims/2), adjusted by the scaling rule.
std::vector<double> rope_inverse_frequencies(double theta, int64_t rot_dims, const RopeScaling &scaling);

// cos/sin of pos * inv_freq for the n positions [pos0, pos0 + n): [n][rot_dims/2] each.
void rope_angles(const std::vector<double> &inv_freq, int64_t pos0, int64_t n, float *cos_out, float *sin_out);

enum class RopePairing {
    Interleaved,  // rotates (2i, 2i+1): Meta's layout, which GGUF llama tensors keep
    Halves,       // rotates (i, i + rot/2): the HF "rotate_half" layout
};

// Rotates the first rot_dims dims of each head of n rows (row stride = n_heads * head_dim).
void apply_rope(float *x, int64_t n, int64_t n_heads, int64_t head_dim, int64_t rot_dims,
                RopePairing pairing, const float *cos, const float *sin);

// Causal self-attention for n query tokens at positions [pos0, pos0 + n) over a cache layer
// holding keys/values for [0, pos0 + n). q: [n][n_head * head_dim]; out: [n][n_head * head_dim].
// scratch: n_threads * (pos0 + n + head_dim) floats. With an f16 cache, q and the attention
// weights are rounded to f16 too, as an f16 dot product computes them.
struct AttentionShape {
    int64_t n_head = 0;
    int64_t n_head_kv = 0;
    int64_t head_dim = 0;
    float scale = 0.0f;  // usually 1/sqrt(head_dim)
    const float *alibi = nullptr;  // per query head: score += slope * (key pos - query pos)
    int64_t window = 0;            // sliding window: only the last `window` positions (0: all)
};
void causal_attention(const float *q, const KvLayerView &kv, float *out, int64_t n, int64_t pos0,
                      const AttentionShape &shape, float *scratch, ThreadPool &pool);
// The same for rows of several sequences: row t attends over sequence seq_ids[t]'s cache layer
// [0, positions[t]] (already stored). scratch: n_threads * (cache n_ctx + head_dim) floats.
void multi_sequence_attention(const float *q, const KvCache &cache, int64_t layer, const int32_t *seq_ids,
                              const int64_t *positions, float *out, int64_t n, const AttentionShape &shape,
                              float *scratch, ThreadPool &pool);

}  // namespace llmrt
