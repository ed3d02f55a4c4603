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
};

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

}  // namespace llmrt
