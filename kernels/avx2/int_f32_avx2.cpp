// F32 compute for the int8/int4 weight types with AVX2 (the path for CPUs without AVX512): one
// (x row, W row) dot product at a time over the same prepared x as the AVX512 kernel. Codes become
// floats 8 at a time; accumulator lanes belong to fixed blocks, so scales apply per superblock.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "kernels/avx2/common_avx2.h"
#include "kernels/int_quant.h"

namespace llmrt {
namespace {

using avx2::hsum;

// The scales and offsets (value = scale * code + offset) of a superblock's 16 blocks, lanes 0-7
// and 8-15 (lanes >= n are 0).
struct SbScales {
    __m256 scale[2], offset[2];
};

// 16 parameters (scales or mins) at p, of which the first n exist.
void load_params16(const uint8_t *p, int64_t n, ScaleDtype scale, __m256 (&out)[2]) {
    alignas(32) uint8_t padded[64];
    if (n < kSbBlocks) {
        std::memset(padded, 0, sizeof padded);
        std::memcpy(padded, p, static_cast<size_t>(n * scale_dtype_bytes(scale)));
        p = padded;
    }
    for (int h = 0; h < 2; ++h) {
        if (scale == ScaleDtype::F32) {
            out[h] = _mm256_loadu_ps(reinterpret_cast<const float *>(p) + 8 * h);
            continue;
        }
        const __m128i words = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 16 * h));
        out[h] = scale == ScaleDtype::F16 ? _mm256_cvtph_ps(words)
                                          : _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(words), 16));
    }
}

SbScales load_sb_scales(const IntGeom &g, const uint8_t *row, const SbLayout &l) {
    SbScales sc;
    if (g.row_scale) {
        const float s = load_scale(row + l.scales, 0, g.scale);
        const float o = g.asym ? load_scale(row + l.mins, 0, g.scale) : -static_cast<float>(g.zero) * s;
        sc.scale[0] = sc.scale[1] = _mm256_set1_ps(s);
        sc.offset[0] = sc.offset[1] = _mm256_set1_ps(o);
        return sc;
    }
    load_params16(row + l.scales, l.n, g.scale, sc.scale);
    if (g.asym) {
        load_params16(row + l.mins, l.n, g.scale, sc.offset);
    } else {
        for (int h = 0; h < 2; ++h) sc.offset[h] = _mm256_mul_ps(sc.scale[h], _mm256_set1_ps(-static_cast<float>(g.zero)));
    }
    return sc;
}

// Sum over one superblock of code * x, 32 codes per step; acc[p] lane b belongs to block
// 4p + b/2 (int4) or 2p + b/4 (int8).
template <bool Int4>
void sb_dot(const IntGeom &g, const uint8_t *codes, int64_t qrow_bytes, const float *x, __m256 (&acc)[8]) {
    alignas(32) uint8_t padded[64];
    const bool full = qrow_bytes == kSbBlocks * g.block_qbytes;
    if (!full) std::memset(padded, 0, sizeof padded);
    for (int64_t q = 0; q < g.quads; ++q, codes += qrow_bytes, x += 64) {
        const uint8_t *c = codes;
        if (!full) {
            std::memcpy(padded, codes, static_cast<size_t>(qrow_bytes));
            c = padded;
        }
        if constexpr (Int4) {
            for (int p = 0; p < 4; ++p) {
                const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(c + 8 * p)));
                const __m256 lo = _mm256_cvtepi32_ps(_mm256_and_si256(v, _mm256_set1_epi32(0x0f)));
                const __m256 hi = _mm256_cvtepi32_ps(_mm256_srli_epi32(v, 4));
                const float *xp = x + (p / 2) * 32 + (p % 2) * 8;
                acc[p] = _mm256_fmadd_ps(lo, _mm256_loadu_ps(xp), acc[p]);
                acc[p + 4] = _mm256_fmadd_ps(hi, _mm256_loadu_ps(xp + 16), acc[p + 4]);
            }
        } else {
            for (int p = 0; p < 8; ++p) {
                const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(c + 8 * p)));
                acc[p] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(v), _mm256_loadu_ps(x + 8 * p), acc[p]);
            }
        }
    }
}

template <bool Int4>
float dot_row(const IntGeom &g, const uint8_t *row, const uint8_t *xrow, int64_t psb) {
    __m256 tot = _mm256_setzero_ps();
    for (int64_t s = 0; s < g.nsb; ++s) {
        const SbLayout l = sb_layout(g, s);
        const uint8_t *xsb = xrow + s * psb;
        __m256 acc[8];
        for (__m256 &a : acc) a = _mm256_setzero_ps();
        sb_dot<Int4>(g, row + l.codes, l.qrow_bytes, reinterpret_cast<const float *>(xsb + 64), acc);
        const SbScales sc = load_sb_scales(g, row, l);
        for (int p = 0; p < 8; ++p) {
            // Lane scales: int4 piece p (and p + 4, its high nibbles) holds blocks 4 (p % 4) + b / 2;
            // int8 piece p blocks 2p + b / 4.
            const __m256 half = Int4 ? sc.scale[(p % 4) / 2] : sc.scale[p / 4];
            const int first = Int4 ? 4 * (p % 2) : 2 * (p % 4);
            const __m256i idx = Int4 ? _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3) : _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
            const __m256 lane_scale = _mm256_permutevar8x32_ps(half, _mm256_add_epi32(idx, _mm256_set1_epi32(first)));
            tot = _mm256_fmadd_ps(acc[p], lane_scale, tot);
        }
        const float *xsum = reinterpret_cast<const float *>(xsb);
        tot = _mm256_fmadd_ps(sc.offset[0], _mm256_loadu_ps(xsum), tot);
        tot = _mm256_fmadd_ps(sc.offset[1], _mm256_loadu_ps(xsum + 8), tot);
    }
    return hsum(tot);
}

// x rows per pass over W rows: their prepared rows stay in L2 while W streams.
constexpr int64_t kRowsPerPass = 4;

}  // namespace

void int_matmul_f32_avx2(const IntGeom &g, const Matrix &w, const float *, const uint8_t *prepared, int64_t m,
                         int64_t, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    const int64_t psb = prep_sb_bytes(g, ComputeDtype::F32);
    const int64_t prow = g.nsb * psb;
    auto dot = g.int4 ? &dot_row<true> : &dot_row<false>;
    for (int64_t i0 = 0; i0 < m; i0 += kRowsPerPass)
        for (int64_t r = r0; r < r1; ++r) {
            const uint8_t *row = w.data + r * g.row_bytes;
            for (int64_t i = i0; i < std::min(m, i0 + kRowsPerPass); ++i) y[i * ldy + r] = dot(g, row, prepared + i * prow, psb);
        }
}

}  // namespace llmrt
