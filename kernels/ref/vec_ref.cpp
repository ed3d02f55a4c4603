// Scalar vector kernels; accumulate in double so they double as the tests' reference.
#include <cmath>

#include "core/float16.h"
#include "kernels/vec.h"

namespace llmrt {
namespace {

float dot(const float *a, const float *b, int64_t n) {
    double acc = 0.0;
    for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(a[i]) * b[i];
    return static_cast<float>(acc);
}

void axpy(float alpha, const float *x, float *y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void attn_scores(const float *q, const float *k, int64_t n_keys, int64_t k_stride, int64_t head_dim,
                 float scale, float *out) {
    for (int64_t t = 0; t < n_keys; ++t) out[t] = scale * dot(q, k + t * k_stride, head_dim);
}

float sum(const float *a, int64_t n) {
    double acc = 0.0;
    for (int64_t i = 0; i < n; ++i) acc += a[i];
    return static_cast<float>(acc);
}

float exp_shift_sum(float *x, int64_t n, float shift) {
    double acc = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        const float a = x[i] - shift;
        x[i] = a < kExpMinArg ? 0.0f : std::exp(a);
        acc += x[i];
    }
    return static_cast<float>(acc);
}

void attn_values(const float *p, const float *v, int64_t n_keys, int64_t v_stride, int64_t head_dim, float *out) {
    for (int64_t d = 0; d < head_dim; ++d) {
        double acc = 0.0;
        for (int64_t t = 0; t < n_keys; ++t) acc += static_cast<double>(p[t]) * v[t * v_stride + d];
        out[d] = static_cast<float>(acc);
    }
}

void attn_scores_f16(const float *q, const uint16_t *k, int64_t n_keys, int64_t k_stride, int64_t head_dim,
                     float scale, float *out) {
    for (int64_t t = 0; t < n_keys; ++t) {
        double acc = 0.0;
        for (int64_t d = 0; d < head_dim; ++d) acc += static_cast<double>(q[d]) * f16_to_f32(k[t * k_stride + d]);
        out[t] = scale * static_cast<float>(acc);
    }
}

void attn_values_f16(const float *p, const uint16_t *v, int64_t n_keys, int64_t v_stride, int64_t head_dim,
                     float *out) {
    for (int64_t d = 0; d < head_dim; ++d) {
        double acc = 0.0;
        for (int64_t t = 0; t < n_keys; ++t) acc += static_cast<double>(p[t]) * f16_to_f32(v[t * v_stride + d]);
        out[d] = static_cast<float>(acc);
    }
}

void silu_mul(const float *gate, const float *up, float *out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        const double g = gate[i];
        out[i] = static_cast<float>(g / (1.0 + std::exp(-g)) * up[i]);
    }
}

}  // namespace

const VecKernels &vec_kernels_scalar() {
    static constexpr VecKernels table{&dot, &axpy, &attn_scores, &sum, &exp_shift_sum, &attn_values,
                                      &attn_scores_f16, &attn_values_f16, &silu_mul};
    return table;
}

}  // namespace llmrt
