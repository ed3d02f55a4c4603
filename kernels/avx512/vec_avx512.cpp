// Vector kernels with AVX512.
#include "kernels/avx512/common_avx512.h"  // first: sets a diagnostic pragma
#include "kernels/vec.h"

namespace llmrt {
namespace {

using avx512::hsum;
using avx512::tail_mask;

constexpr int64_t kLanes = 16;

float dot(const float *a, const float *b, int64_t n) {
    // Four accumulators hide the FMA latency.
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
        acc2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), acc2);
        acc3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), acc3);
    }
    for (; i + kLanes <= n; i += kLanes)
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc1);
    }
    return hsum(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

void axpy(float alpha, const float *x, float *y, int64_t n) {
    const __m512 va = _mm512_set1_ps(alpha);
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        const __m512 r = _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i));
        _mm512_mask_storeu_ps(y + i, m, r);
    }
}

// Scores for keys [t, t + NK) in one pass over q.
template <int NK>
void scores_block(const float *q, const float *k, int64_t k_stride, int64_t head_dim, float scale,
                  float *out) {
    __m512 acc[NK];
#pragma GCC unroll 4
    for (int j = 0; j < NK; ++j) acc[j] = _mm512_setzero_ps();
    int64_t d = 0;
    for (; d + kLanes <= head_dim; d += kLanes) {
        const __m512 qv = _mm512_loadu_ps(q + d);
#pragma GCC unroll 4
        for (int j = 0; j < NK; ++j)
            acc[j] = _mm512_fmadd_ps(qv, _mm512_loadu_ps(k + j * k_stride + d), acc[j]);
    }
    if (d < head_dim) {
        const __mmask16 m = tail_mask(head_dim - d);
        const __m512 qv = _mm512_maskz_loadu_ps(m, q + d);
#pragma GCC unroll 4
        for (int j = 0; j < NK; ++j)
            acc[j] = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(m, k + j * k_stride + d), acc[j]);
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
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    __m512 acc2 = _mm512_setzero_ps(), acc3 = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
        acc0 = _mm512_add_ps(acc0, _mm512_loadu_ps(a + i));
        acc1 = _mm512_add_ps(acc1, _mm512_loadu_ps(a + i + 16));
        acc2 = _mm512_add_ps(acc2, _mm512_loadu_ps(a + i + 32));
        acc3 = _mm512_add_ps(acc3, _mm512_loadu_ps(a + i + 48));
    }
    for (; i + kLanes <= n; i += kLanes) acc0 = _mm512_add_ps(acc0, _mm512_loadu_ps(a + i));
    if (i < n) acc1 = _mm512_add_ps(acc1, _mm512_maskz_loadu_ps(tail_mask(n - i), a + i));
    return hsum(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
}

}  // namespace

const VecKernels &vec_kernels_avx512() {
    static constexpr VecKernels table{&dot, &axpy, &attn_scores, &sum};
    return table;
}

}  // namespace llmrt
