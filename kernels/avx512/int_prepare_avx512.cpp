// Activations for the int8/int4 kernels with AVX512 (see int_quant.h for the prepared layout):
// per block of x, 16 values per step, written to the block's lane of each quad-row.
#include "kernels/avx512/common_avx512.h"  // first: sets a diagnostic pragma

#include <cstring>

#include "kernels/int_quant.h"

namespace llmrt {
namespace {

inline __mmask16 tail16(int64_t n) { return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1u); }

// The last superblock of each row holds every padding lane and position: zero it, the rest is
// written in full.
void zero_last_superblocks(const IntGeom &g, int64_t psb, int64_t m, uint8_t *prepared) {
    if (g.nsb == 0) return;
    for (int64_t i = 0; i < m; ++i) std::memset(prepared + (i * g.nsb + g.nsb - 1) * psb, 0, static_cast<size_t>(psb));
}

template <class Fn>
void for_each_block(const IntGeom &g, int64_t psb, const float *x, int64_t m, uint8_t *prepared, Fn &&fn) {
    zero_last_superblocks(g, psb, m, prepared);
    for (int64_t i = 0; i < m; ++i)
        for (int64_t b = 0; b < g.nblocks; ++b)
            fn(x + i * g.cols + b * g.block, g.block_len(b), static_cast<int>(b % kSbBlocks),
               prepared + (i * g.nsb + b / kSbBlocks) * psb);
}

void store32(uint8_t *p, int32_t v) { std::memcpy(p, &v, sizeof v); }
void store64(uint8_t *p, int64_t v) { std::memcpy(p, &v, sizeof v); }

// Round to nearest even like f32_to_bf16 (NaN stays NaN), as 32-bit lanes holding the bf16 bits.
__m512i bf16_bits(__m512 v) {
    const __m512i u = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_mask_or_epi32(rounded, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
}

// max |x| over n values by the bits of |x| as unsigned integers, as int_prepare_ref does (int_quant.h).
float amax_avx512(const float *x, int64_t n) {
    const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff);
    __m512i amax = _mm512_setzero_si512();
    for (int64_t k = 0; k < n; k += 16) {
        const __m512i bits = _mm512_maskz_loadu_epi32(tail16(n - k), x + k);
        amax = _mm512_max_epu32(amax, _mm512_and_si512(bits, abs_mask));
    }
    return bits_to_f32(_mm512_reduce_max_epu32(amax));
}

}  // namespace

void int_prepare_int8_avx512(const IntGeom &g, const float *x, int64_t m, uint8_t *prepared) {
    const int64_t psb = prep_sb_bytes(g, ComputeDtype::Int8);
    const __m512 lo = _mm512_set1_ps(-127.0f), hi = _mm512_set1_ps(127.0f);
    // Per-row scales (g.act_amax, int_quant.h) need a row's amax at its first block (for_each_block
    // goes row by row), computed then rather than into a buffer: no allocation per matmul.
    int64_t row_at = -1;
    float row = 0.0f;
    for_each_block(g, psb, x, m, prepared, [&](const float *xb, int64_t len, int j, uint8_t *sb) {
        if (x_per_row(g) && (xb - x) / g.cols != row_at) {
            row_at = (xb - x) / g.cols;
            row = amax_avx512(x + row_at * g.cols, g.cols);
        }
        const float a = x_quant_amax(g, amax_avx512(xb, len), row);
        const __m512 inv = _mm512_set1_ps(x_block_inv(a));
        // A block with NaN or inf is read as zeros (an empty load mask): xq = 0, dx NaN.
        const bool finite = x_block_finite(a);
        __m512i sum = _mm512_setzero_si512();
        uint8_t *out = sb + 128 + 4 * j;
        for (int64_t k = 0; k < len; k += 16, out += 4 * 64) {
            const __mmask16 load = finite ? tail16(len - k) : static_cast<__mmask16>(0);
            // Clamped as x_quantize does: only a static amax smaller than |x| reaches the bounds.
            const __m512 t = _mm512_mul_ps(_mm512_maskz_loadu_ps(load, xb + k), inv);
            const __m512i q = _mm512_cvtps_epi32(_mm512_min_ps(_mm512_max_ps(t, lo), hi));
            sum = _mm512_add_epi32(sum, q);
            const __m128i bytes = _mm512_cvtepi32_epi8(q);  // |q| <= 127: truncation is exact
            store32(out, _mm_cvtsi128_si32(bytes));
            store32(out + 64, _mm_extract_epi32(bytes, 1));
            store32(out + 128, _mm_extract_epi32(bytes, 2));
            store32(out + 192, _mm_extract_epi32(bytes, 3));
        }
        const float dx = x_block_dx(a);
        float *lanes = reinterpret_cast<float *>(sb);
        lanes[j] = dx;
        lanes[16 + j] = dx * static_cast<float>(_mm512_reduce_add_epi32(sum));
    });
}

void int_prepare_f32_avx512(const IntGeom &g, const float *x, int64_t m, uint8_t *prepared) {
    const int64_t psb = prep_sb_bytes(g, ComputeDtype::F32);
    // int4 order: per quad, codes (0, 2) go to positions 2j', 2j'+1 and codes (1, 3) 16 further,
    // within the half of blocks j / 8 (see prep_pos).
    const __m512i split = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    for_each_block(g, psb, x, m, prepared, [&](const float *xb, int64_t len, int j, uint8_t *sb) {
        __m512 sum = _mm512_setzero_ps();
        float *xs = reinterpret_cast<float *>(sb + 64);
        for (int64_t k = 0; k < len; k += 16) {
            const __m512 v = _mm512_maskz_loadu_ps(tail16(len - k), xb + k);
            sum = _mm512_add_ps(sum, v);
            float *quad = xs + (k / 4) * 64;  // 4 quads of 64 floats
            if (g.int4) {
                const __m512 s = _mm512_permutexvar_ps(split, v);  // evens pairs, then odd pairs
                float *at = quad + (j / 8) * 32 + 2 * (j % 8);
                alignas(64) int64_t pairs[8];
                _mm512_store_si512(pairs, _mm512_castps_si512(s));
                for (int u = 0; u < 4; ++u) {
                    store64(reinterpret_cast<uint8_t *>(at + u * 64), pairs[u]);
                    store64(reinterpret_cast<uint8_t *>(at + u * 64 + 16), pairs[4 + u]);
                }
            } else {
                float *at = quad + 4 * j;
                _mm_storeu_ps(at, _mm512_castps512_ps128(v));
                _mm_storeu_ps(at + 64, _mm512_extractf32x4_ps(v, 1));
                _mm_storeu_ps(at + 128, _mm512_extractf32x4_ps(v, 2));
                _mm_storeu_ps(at + 192, _mm512_extractf32x4_ps(v, 3));
            }
        }
        reinterpret_cast<float *>(sb)[j] = _mm512_reduce_add_ps(sum);
    });
}

void int_prepare_bf16_avx512(const IntGeom &g, const float *x, int64_t m, uint8_t *prepared) {
    const int64_t psb = prep_sb_bytes(g, ComputeDtype::BF16);
    // int4 order: per quad, codes (0, 2) at positions 2j, 2j+1 and codes (1, 3) 32 further.
    const __m512i split = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    for_each_block(g, psb, x, m, prepared, [&](const float *xb, int64_t len, int j, uint8_t *sb) {
        __m512 sum = _mm512_setzero_ps();
        uint16_t *xs = reinterpret_cast<uint16_t *>(sb + 64);
        for (int64_t k = 0; k < len; k += 16) {
            const __m512i h = bf16_bits(_mm512_maskz_loadu_ps(tail16(len - k), xb + k));
            sum = _mm512_add_ps(sum, _mm512_castsi512_ps(_mm512_slli_epi32(h, 16)));
            uint16_t *quad = xs + (k / 4) * 64;
            alignas(32) uint16_t words[16];
            if (g.int4) {
                _mm256_store_si256(reinterpret_cast<__m256i *>(words), _mm512_cvtepi32_epi16(_mm512_permutexvar_epi32(split, h)));
                for (int u = 0; u < 4; ++u) {
                    std::memcpy(quad + u * 64 + 2 * j, words + 2 * u, 4);
                    std::memcpy(quad + u * 64 + 32 + 2 * j, words + 8 + 2 * u, 4);
                }
            } else {
                _mm256_store_si256(reinterpret_cast<__m256i *>(words), _mm512_cvtepi32_epi16(h));
                for (int u = 0; u < 4; ++u) std::memcpy(quad + u * 64 + 4 * j, words + 4 * u, 8);
            }
        }
        reinterpret_cast<float *>(sb)[j] = _mm512_reduce_add_ps(sum);
    });
}

}  // namespace llmrt
