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

// exp(a) for a <= 0, as vec.h describes; 2^n is built in the exponent bits
// (n >= -126 above kExpMinArg, so the result stays a normal float).
__m256 exp_nonpositive(__m256 a) {
    const __m256 live = _mm256_cmp_ps(a, _mm256_set1_ps(kExpMinArg), _CMP_GE_OQ);
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(a, _mm256_set1_ps(kLog2e)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Hi), a);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kLn2Lo), r);
    __m256 poly = _mm256_set1_ps(kExpPoly[0]);
    for (size_t i = 1; i < sizeof kExpPoly / sizeof kExpPoly[0]; ++i)
        poly = _mm256_fmadd_ps(poly, r, _mm256_set1_ps(kExpPoly[i]));
    const __m256i n_int = _mm256_max_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(-126));
    const __m256 pow2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n_int, _mm256_set1_epi32(127)), 23));
    return _mm256_and_ps(_mm256_mul_ps(poly, pow2), live);
}

float exp_shift_sum(float *x, int64_t n, float shift) {
    const __m256 vs = _mm256_set1_ps(shift);
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        const __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(x + i), vs));
        _mm256_storeu_ps(x + i, e);
        acc = _mm256_add_ps(acc, e);
    }
    float total = hsum(acc);
    for (; i < n; ++i) {
        alignas(32) float lane[8] = {x[i] - shift, 0, 0, 0, 0, 0, 0, 0};
        _mm256_store_ps(lane, exp_nonpositive(_mm256_load_ps(lane)));
        x[i] = lane[0];
        total += lane[0];
    }
    return total;
}

// Output dims [d, d + 8 * NV) over every key, two keys per step (see the AVX512 version).
template <int NV>
void values_block(const float *p, const float *v, int64_t n_keys, int64_t v_stride, float *out) {
    __m256 a[NV], b[NV];
#pragma GCC unroll 4
    for (int c = 0; c < NV; ++c) a[c] = b[c] = _mm256_setzero_ps();
    int64_t t = 0;
    for (; t + 2 <= n_keys; t += 2) {
        const __m256 p0 = _mm256_set1_ps(p[t]), p1 = _mm256_set1_ps(p[t + 1]);
        const float *v0 = v + t * v_stride, *v1 = v0 + v_stride;
#pragma GCC unroll 4
        for (int c = 0; c < NV; ++c) {
            a[c] = _mm256_fmadd_ps(p0, _mm256_loadu_ps(v0 + 8 * c), a[c]);
            b[c] = _mm256_fmadd_ps(p1, _mm256_loadu_ps(v1 + 8 * c), b[c]);
        }
    }
    if (t < n_keys) {
        const __m256 p0 = _mm256_set1_ps(p[t]);
#pragma GCC unroll 4
        for (int c = 0; c < NV; ++c) a[c] = _mm256_fmadd_ps(p0, _mm256_loadu_ps(v + t * v_stride + 8 * c), a[c]);
    }
#pragma GCC unroll 4
    for (int c = 0; c < NV; ++c) _mm256_storeu_ps(out + 8 * c, _mm256_add_ps(a[c], b[c]));
}

void attn_values(const float *p, const float *v, int64_t n_keys, int64_t v_stride, int64_t head_dim, float *out) {
    int64_t d = 0;
    for (; d + 32 <= head_dim; d += 32) values_block<4>(p, v + d, n_keys, v_stride, out + d);
    for (; d + 8 <= head_dim; d += 8) values_block<1>(p, v + d, n_keys, v_stride, out + d);
    for (; d < head_dim; ++d) {  // a ragged head size: rare, plain
        float acc = 0.0f;
        for (int64_t t = 0; t < n_keys; ++t) acc += p[t] * v[t * v_stride + d];
        out[d] = acc;
    }
}

// g * sigmoid(g), as the AVX512 version computes it.
__m256 silu(__m256 g) {
    const __m256 abs_g = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), g);
    const __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_setzero_ps(), abs_g));
    const __m256 neg = _mm256_cmp_ps(g, _mm256_setzero_ps(), _CMP_LT_OQ);
    const __m256 num = _mm256_blendv_ps(_mm256_set1_ps(1.0f), e, neg);
    return _mm256_mul_ps(g, _mm256_div_ps(num, _mm256_add_ps(_mm256_set1_ps(1.0f), e)));
}

void silu_mul(const float *gate, const float *up, float *out, int64_t n) {
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        _mm256_storeu_ps(out + i, _mm256_mul_ps(silu(_mm256_loadu_ps(gate + i)), _mm256_loadu_ps(up + i)));
    for (; i < n; ++i) {
        alignas(32) float lane[8] = {gate[i], 0, 0, 0, 0, 0, 0, 0};
        _mm256_store_ps(lane, silu(_mm256_load_ps(lane)));
        out[i] = lane[0] * up[i];
    }
}

// An f16 cache without AVX512: 8 values widened with F16C per step.
void attn_scores_f16(const float *q, const uint16_t *k, int64_t n_keys, int64_t k_stride, int64_t head_dim,
                     float scale, float *out) {
    for (int64_t t = 0; t < n_keys; ++t) {
        const uint16_t *row = k + t * k_stride;
        __m256 acc = _mm256_setzero_ps();
        int64_t d = 0;
        for (; d + kLanes <= head_dim; d += kLanes)
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(q + d),
                                  _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(row + d))), acc);
        float s = hsum(acc);
        for (; d < head_dim; ++d) s += q[d] * _cvtsh_ss(row[d]);
        out[t] = scale * s;
    }
}

void attn_values_f16(const float *p, const uint16_t *v, int64_t n_keys, int64_t v_stride, int64_t head_dim,
                     float *out) {
    int64_t d = 0;
    for (; d + kLanes <= head_dim; d += kLanes) {
        __m256 acc = _mm256_setzero_ps();
        for (int64_t t = 0; t < n_keys; ++t)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(p[t]),
                                  _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(v + t * v_stride + d))),
                                  acc);
        _mm256_storeu_ps(out + d, acc);
    }
    for (; d < head_dim; ++d) {
        float acc = 0.0f;
        for (int64_t t = 0; t < n_keys; ++t) acc += p[t] * _cvtsh_ss(v[t * v_stride + d]);
        out[d] = acc;
    }
}

}  // namespace

const VecKernels &vec_kernels_avx2() {
    static constexpr VecKernels table{&dot, &axpy, &attn_scores, &sum, &exp_shift_sum, &attn_values,
                                      &attn_scores_f16, &attn_values_f16, &silu_mul};
    return table;
}

}  // namespace llmrt
