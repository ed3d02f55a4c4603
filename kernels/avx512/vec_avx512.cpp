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

// Sixteen vectors to the vector of their sums (lane j = sum of v[j]) by pairwise unpacks and
// lane shuffles: about 3 instructions per vector instead of a 10-instruction reduction each.
__m512 transpose_sum16(const __m512 (&v)[16]) {
    __m512 p[8], x[4];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i)  // per 128-bit lane: [a0+a2, b0+b2, a1+a3, b1+b3]
        p[i] = _mm512_add_ps(_mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]), _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]));
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {  // per 128-bit lane: the partial sums of four vectors, in order
        const __m512d a = _mm512_castps_pd(p[2 * i]), b = _mm512_castps_pd(p[2 * i + 1]);
        x[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(a, b)), _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)));
    }
    // Then add the four 128-bit lanes of each group of four vectors.
    const __m512 z0 = _mm512_add_ps(_mm512_shuffle_f32x4(x[0], x[1], 0x88), _mm512_shuffle_f32x4(x[0], x[1], 0xdd));
    const __m512 z1 = _mm512_add_ps(_mm512_shuffle_f32x4(x[2], x[3], 0x88), _mm512_shuffle_f32x4(x[2], x[3], 0xdd));
    return _mm512_add_ps(_mm512_shuffle_f32x4(z0, z1, 0x88), _mm512_shuffle_f32x4(z0, z1, 0xdd));
}

// n (<= 16) cache values from p as floats: f32 as they are, f16 widened.
inline __m512 load_cache(const float *p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
inline __m512 load_cache(const uint16_t *p, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }

// Scores for 16 keys at once, one accumulator per key, reduced together.
template <class T>
void scores_block16(const float *q, const T *k, int64_t k_stride, int64_t head_dim, float scale, float *out) {
    __m512 acc[16];
#pragma GCC unroll 16
    for (int j = 0; j < 16; ++j) acc[j] = _mm512_setzero_ps();
    for (int64_t d = 0; d < head_dim; d += kLanes) {
        const __mmask16 m = head_dim - d >= kLanes ? static_cast<__mmask16>(0xffff) : tail_mask(head_dim - d);
        const __m512 qv = _mm512_maskz_loadu_ps(m, q + d);
#pragma GCC unroll 16
        for (int j = 0; j < 16; ++j) acc[j] = _mm512_fmadd_ps(qv, load_cache(k + j * k_stride + d, m), acc[j]);
    }
    _mm512_storeu_ps(out, _mm512_mul_ps(transpose_sum16(acc), _mm512_set1_ps(scale)));
}

void attn_scores(const float *q, const float *k, int64_t n_keys, int64_t k_stride, int64_t head_dim,
                 float scale, float *out) {
    int64_t t = 0;
    for (; t + 16 <= n_keys; t += 16) scores_block16(q, k + t * k_stride, k_stride, head_dim, scale, out + t);
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

// exp(a) for a <= 0 (softmax arguments), as vec.h describes, scaled by 2^n with vscalefps.
// Arguments below kExpMinArg give 0.
__m512 exp_nonpositive(__m512 a) {
    const __mmask16 live = _mm512_cmp_ps_mask(a, _mm512_set1_ps(kExpMinArg), _CMP_GE_OQ);
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(a, _mm512_set1_ps(kLog2e)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), a);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
    __m512 poly = _mm512_set1_ps(kExpPoly[0]);
    for (size_t i = 1; i < sizeof kExpPoly / sizeof kExpPoly[0]; ++i)
        poly = _mm512_fmadd_ps(poly, r, _mm512_set1_ps(kExpPoly[i]));
    return _mm512_maskz_scalef_ps(live, poly, n);
}

float exp_shift_sum(float *x, int64_t n, float shift) {
    const __m512 vs = _mm512_set1_ps(shift);
    __m512 acc = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
        const __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(x + i), vs));
        _mm512_storeu_ps(x + i, e);
        acc = _mm512_add_ps(acc, e);
    }
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        const __m512 e = _mm512_maskz_mov_ps(m, exp_nonpositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vs)));
        _mm512_mask_storeu_ps(x + i, m, e);
        acc = _mm512_add_ps(acc, e);
    }
    return hsum(acc);
}

// Output dims [d, d + 16 * NV) over every key; two keys per step into separate accumulators, so
// 2 * NV independent FMA chains hide the latency.
template <int NV, class T>
void values_block(const float *p, const T *v, int64_t n_keys, int64_t v_stride, __mmask16 last,
                  float *out) {
    __m512 a[NV], b[NV];
#pragma GCC unroll 4
    for (int c = 0; c < NV; ++c) a[c] = b[c] = _mm512_setzero_ps();
    const __mmask16 full = static_cast<__mmask16>(0xffff);
    int64_t t = 0;
    for (; t + 2 <= n_keys; t += 2) {
        const __m512 p0 = _mm512_set1_ps(p[t]), p1 = _mm512_set1_ps(p[t + 1]);
        const T *v0 = v + t * v_stride, *v1 = v0 + v_stride;
#pragma GCC unroll 4
        for (int c = 0; c < NV; ++c) {
            const __mmask16 m = c == NV - 1 ? last : full;
            a[c] = _mm512_fmadd_ps(p0, load_cache(v0 + 16 * c, m), a[c]);
            b[c] = _mm512_fmadd_ps(p1, load_cache(v1 + 16 * c, m), b[c]);
        }
    }
    if (t < n_keys) {
        const __m512 p0 = _mm512_set1_ps(p[t]);
#pragma GCC unroll 4
        for (int c = 0; c < NV; ++c)
            a[c] = _mm512_fmadd_ps(p0, load_cache(v + t * v_stride + 16 * c, c == NV - 1 ? last : full), a[c]);
    }
#pragma GCC unroll 4
    for (int c = 0; c < NV; ++c) _mm512_mask_storeu_ps(out + 16 * c, c == NV - 1 ? last : full, _mm512_add_ps(a[c], b[c]));
}

template <class T>
void values(const float *p, const T *v, int64_t n_keys, int64_t v_stride, int64_t head_dim, float *out) {
    int64_t d = 0;
    for (; d + 64 <= head_dim; d += 64) values_block<4, T>(p, v + d, n_keys, v_stride, 0xffff, out + d);
    for (; d < head_dim; d += 16) {
        const int64_t left = head_dim - d;
        values_block<1, T>(p, v + d, n_keys, v_stride, left >= 16 ? static_cast<__mmask16>(0xffff) : tail_mask(left),
                        out + d);
    }
}

// g * sigmoid(g) with e = exp(-|g|) <= 1: sigmoid is 1 / (1 + e) for g >= 0 and e / (1 + e)
// below, so exp never overflows.
__m512 silu(__m512 g) {
    const __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(g)));
    const __mmask16 neg = _mm512_cmp_ps_mask(g, _mm512_setzero_ps(), _CMP_LT_OQ);
    const __m512 num = _mm512_mask_mov_ps(_mm512_set1_ps(1.0f), neg, e);
    return _mm512_mul_ps(g, _mm512_div_ps(num, _mm512_add_ps(_mm512_set1_ps(1.0f), e)));
}

void silu_mul(const float *gate, const float *up, float *out, int64_t n) {
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        _mm512_storeu_ps(out + i, _mm512_mul_ps(silu(_mm512_loadu_ps(gate + i)), _mm512_loadu_ps(up + i)));
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        const __m512 r = _mm512_mul_ps(silu(_mm512_maskz_loadu_ps(m, gate + i)), _mm512_maskz_loadu_ps(m, up + i));
        _mm512_mask_storeu_ps(out + i, m, r);
    }
}

void attn_values(const float *p, const float *v, int64_t n_keys, int64_t v_stride, int64_t head_dim, float *out) {
    values(p, v, n_keys, v_stride, head_dim, out);
}
void attn_values_f16(const float *p, const uint16_t *v, int64_t n_keys, int64_t v_stride, int64_t head_dim,
                     float *out) {
    values(p, v, n_keys, v_stride, head_dim, out);
}

void attn_scores_f16(const float *q, const uint16_t *k, int64_t n_keys, int64_t k_stride, int64_t head_dim,
                     float scale, float *out) {
    int64_t t = 0;
    for (; t + 16 <= n_keys; t += 16) scores_block16(q, k + t * k_stride, k_stride, head_dim, scale, out + t);
    alignas(64) float partial[16];
    if (t < n_keys) {  // the last keys: a block of 16 whose missing rows are never read
        __m512 acc[16];
        for (int j = 0; j < 16; ++j) acc[j] = _mm512_setzero_ps();
        for (int64_t d = 0; d < head_dim; d += kLanes) {
            const __mmask16 m = head_dim - d >= kLanes ? static_cast<__mmask16>(0xffff) : tail_mask(head_dim - d);
            const __m512 qv = _mm512_maskz_loadu_ps(m, q + d);
            for (int64_t j = 0; j < n_keys - t; ++j)
                acc[j] = _mm512_fmadd_ps(qv, load_cache(k + (t + j) * k_stride + d, m), acc[j]);
        }
        _mm512_store_ps(partial, _mm512_mul_ps(transpose_sum16(acc), _mm512_set1_ps(scale)));
        for (int64_t j = 0; j < n_keys - t; ++j) out[t + j] = partial[j];
    }
}

}  // namespace

const VecKernels &vec_kernels_avx512() {
    static constexpr VecKernels table{&dot, &axpy, &attn_scores, &sum, &exp_shift_sum, &attn_values,
                                      &attn_scores_f16, &attn_values_f16, &silu_mul};
    return table;
}

}  // namespace llmrt
