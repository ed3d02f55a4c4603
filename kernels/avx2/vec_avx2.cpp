// Vector kernels with AVX2 + FMA.
#include <immintrin.h>

#include "kernels/avx2/common_avx2.h"
#include "kernels/vec.h"

namespace llmrt {
namespace {

using avx2::hsum;
using avx2::tail_mask;

constexpr int64_t kLanes = 8;

float dot(const float *a, const float *b, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
        acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
        acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
    }
    for (; i + kLanes <= n; i += kLanes)
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    if (i < n) {
        const __m256i m = tail_mask(n - i);
        acc1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), acc1);
    }
    return hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
}

void axpy(float alpha, const float *x, float *y, int64_t n) {
    const __m256 va = _mm256_set1_ps(alpha);
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] += alpha * x[i];
}

template <int NK>
void scores_block(const float *q, const float *k, int64_t k_stride, int64_t head_dim, float scale,
                  float *out) {
    __m256 acc[NK];
#pragma GCC unroll 4
    for (int j = 0; j < NK; ++j) acc[j] = _mm256_setzero_ps();
    int64_t d = 0;
    for (; d + kLanes <= head_dim; d += kLanes) {
        const __m256 qv = _mm256_loadu_ps(q + d);
#pragma GCC unroll 4
        for (int j = 0; j < NK; ++j)
            acc[j] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k + j * k_stride + d), acc[j]);
    }
    if (d < head_dim) {
        const __m256i m = tail_mask(head_dim - d);
        const __m256 qv = _mm256_maskload_ps(q + d, m);
#pragma GCC unroll 4
        for (int j = 0; j < NK; ++j)
            acc[j] = _mm256_fmadd_ps(qv, _mm256_maskload_ps(k + j * k_stride + d, m), acc[j]);
    }
#pragma GCC unroll 4
    for (int j = 0; j < NK; ++j) out[j] = scale * hsum(acc[j]);
}

void attn_scores(const float *q, const float *k, int64_t n_keys, int64_t k_stride, int64_t head_dim,
                 float scale, float *out) {
    int64_t t = 0;
    for (; t + 4 <= n_keys; t += 4) scores_block<4>(q, k + t * k_stride, k_stride, head_dim, scale, out + t);
    for (; t < n_keys; ++t) scores_block<1>(q, k + t * k_stride, k_stride, head_dim, scale, out + t);
}

float sum(const float *a, int64_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
        acc0 = _mm256_add_ps(acc0, _mm256_loadu_ps(a + i));
        acc1 = _mm256_add_ps(acc1, _mm256_loadu_ps(a + i + 8));
        acc2 = _mm256_add_ps(acc2, _mm256_loadu_ps(a + i + 16));
        acc3 = _mm256_add_ps(acc3, _mm256_loadu_ps(a + i + 24));
    }
    for (; i + kLanes <= n; i += kLanes) acc0 = _mm256_add_ps(acc0, _mm256_loadu_ps(a + i));
    if (i < n) acc1 = _mm256_add_ps(acc1, _mm256_maskload_ps(a + i, tail_mask(n - i)));
    return hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
}

}  // namespace

const VecKernels &vec_kernels_avx2() {
    static constexpr VecKernels table{&dot, &axpy, &attn_scores, &sum};
    return table;
}

}  // namespace llmrt
