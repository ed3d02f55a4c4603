// Small vector kernels for the hot loops of a forward pass outside matmul (attention, norms).
// One table per ISA so tests can call every variant; the free functions use selected_isa().
#pragma once

#include <cstdint>

#include "kernels/cpu_features.h"

namespace llmrt {

struct VecKernels {
    // sum of a[i] * b[i]
    float (*dot)(const float *a, const float *b, int64_t n);
    // y[i] += alpha * x[i]   (attention: accumulate probability-weighted value rows)
    void (*axpy)(float alpha, const float *x, float *y, int64_t n);
    // out[t] = scale * dot(q, k + t * k_stride, head_dim) for t in [0, n_keys): one head's
    // attention scores against a strided K cache, several keys per pass so q is loaded once.
    void (*attn_scores)(const float *q, const float *k, int64_t n_keys, int64_t k_stride,
                        int64_t head_dim, float scale, float *out);
    // sum of a[i]
    float (*sum)(const float *a, int64_t n);
    // x[i] = exp(x[i] - shift) in place; returns the sum of the results (softmax's numerators and
    // denominator in one pass). Arguments below kExpMinArg give 0.
    float (*exp_shift_sum)(float *x, int64_t n, float shift);
    // out[d] = sum over t in [0, n_keys) of p[t] * v[t * v_stride + d], d in [0, head_dim): one
    // head's attention output from its probabilities and a strided V cache, accumulated in
    // registers rather than through memory once per key.
    void (*attn_values)(const float *p, const float *v, int64_t n_keys, int64_t v_stride, int64_t head_dim,
                        float *out);
    // attn_scores and attn_values over an f16 cache (K and V rows of IEEE half floats).
    void (*attn_scores_f16)(const float *q, const uint16_t *k, int64_t n_keys, int64_t k_stride, int64_t head_dim,
                            float scale, float *out);
    void (*attn_values_f16)(const float *p, const uint16_t *v, int64_t n_keys, int64_t v_stride, int64_t head_dim,
                            float *out);
    // out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g)) (SwiGLU; out may alias gate)
    void (*silu_mul)(const float *gate, const float *up, float *out, int64_t n);
};

// Below this, exp underflows float's normal range: the vector kernels return 0 there, as the
// scalar exp (nearly) does, and softmax weights that small change nothing.
constexpr float kExpMinArg = -87.0f;
// The vector exp of every ISA: a = n ln2 + r, |r| <= ln2 / 2 (ln2 split in two so n ln2 is exact
// to float precision), exp(r) by its Taylor polynomial of degree 6, highest coefficient first
// (relative error < 2e-7), times 2^n.
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693145751953125f;
constexpr float kLn2Lo = 1.428606765330187045e-06f;
constexpr float kExpPoly[] = {1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f};

const VecKernels &vec_kernels_scalar();
const VecKernels &vec_kernels_avx2();
const VecKernels &vec_kernels_avx512();
// isa must be supported by this CPU (see best_supported_isa()).
const VecKernels &vec_kernels_for(Isa isa);
// The table for selected_isa(), chosen once.
const VecKernels &vec_kernels();

inline float dot_f32(const float *a, const float *b, int64_t n) { return vec_kernels().dot(a, b, n); }
inline void axpy_f32(float alpha, const float *x, float *y, int64_t n) {
    vec_kernels().axpy(alpha, x, y, n);
}
inline void attn_scores_f32(const float *q, const float *k, int64_t n_keys, int64_t k_stride,
                            int64_t head_dim, float scale, float *out) {
    vec_kernels().attn_scores(q, k, n_keys, k_stride, head_dim, scale, out);
}
inline float sum_f32(const float *a, int64_t n) { return vec_kernels().sum(a, n); }
inline float exp_shift_sum_f32(float *x, int64_t n, float shift) { return vec_kernels().exp_shift_sum(x, n, shift); }
inline void silu_mul_f32(const float *gate, const float *up, float *out, int64_t n) {
    vec_kernels().silu_mul(gate, up, out, n);
}
inline void attn_values_f32(const float *p, const float *v, int64_t n_keys, int64_t v_stride, int64_t head_dim,
                            float *out) {
    vec_kernels().attn_values(p, v, n_keys, v_stride, head_dim, out);
}

}  // namespace llmrt
