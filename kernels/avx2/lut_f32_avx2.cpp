// nf4/fp4/fp8 matmul with fp32 compute on AVX2 (layout: lut_quant.h; loop nests: lut_gemm.h);
// the decoders of lut_f32_avx512.cpp, sized for 16 ymm registers. `vpermps` on ymm indexes only 8 values, so a
// 4-bit code looks up both halves of the group's table and bit 3 of the code picks one (blendv
// reads the sign bit, where a shift puts bit 3).
#include <immintrin.h>

#include "kernels/avx2/common_avx2.h"
#include "kernels/lut_gemm.h"
#include "kernels/lut_kernels.h"

namespace llmrt {
namespace {

using avx2::hsum;

// A group's 16 scaled values as two 8-entry tables.
struct Table {
    __m256 lo8, hi8;
};

Table scaled_table(const float *levels, float s) {
    const __m256 sv = _mm256_set1_ps(s);
    return {_mm256_mul_ps(_mm256_loadu_ps(levels), sv), _mm256_mul_ps(_mm256_loadu_ps(levels + 8), sv)};
}

// Values of the codes in bits [shift, shift + 4) of each lane of idx.
template <int kShift>
__m256 lookup(__m256i idx, const Table &t) {
    const __m256i i = kShift == 0 ? idx : _mm256_srli_epi32(idx, kShift);
    const __m256 pick_hi = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28 - kShift));
    return _mm256_blendv_ps(_mm256_permutevar8x32_ps(t.lo8, i), _mm256_permutevar8x32_ps(t.hi8, i), pick_hi);
}

// The 32 weights of a 4-bit block: v[0] values 0..7, v[1] 8..15, v[2] 16..23, v[3] 24..31.
void lut4_block(const uint8_t *block, const Table &lo, const Table &hi, __m256 v[4]) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(block));
    const __m256i a = _mm256_cvtepu8_epi32(bytes);
    const __m256i b = _mm256_cvtepu8_epi32(_mm_unpackhi_epi64(bytes, bytes));
    v[0] = lookup<0>(a, lo);
    v[1] = lookup<0>(b, lo);
    v[2] = lookup<4>(a, hi);
    v[3] = lookup<4>(b, hi);
}

template <QuantKind K>
__m256 fp8_8(const uint8_t *p) {
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(p));
    __m128i h;
    if constexpr (K == QuantKind::FP8_E4M3) {
        // See lut_f32_avx512.cpp: value * 2^-8 as fp16.
        h = _mm_and_si128(_mm_slli_epi16(_mm_cvtepi8_epi16(b), 7), _mm_set1_epi16(-0x4001));
    } else {
        h = _mm_slli_epi16(_mm_cvtepu8_epi16(b), 8);
    }
    return _mm256_cvtph_ps(h);
}

template <QuantKind K>
constexpr float kFp8Fix = K == QuantKind::FP8_E4M3 ? 256.0f : 1.0f;

struct Kernel : avx2::F32Fma {
    static constexpr bool kMaskedTail = false;
    static constexpr int kGemvRows = 4;
    static constexpr int kMr = 3;
    static constexpr int kNr = 4;
    static constexpr int64_t kNc = 12;
    static constexpr int64_t kKcMax = 1024;

    // The panel is 64-byte aligned and kc a multiple of 64.
    static __m256 load_w(const float *p) { return _mm256_load_ps(p); }

    template <int R>
    static void gemv_lut4(const LutLayout &l, const uint8_t *w, size_t stride, const float *x, float *y);
    template <QuantKind K, int R>
    static void gemv_fp8(const LutLayout &l, const uint8_t *w, size_t stride, const float *x, float *y);
    static void decode_lut4_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, float *out);
    template <QuantKind K>
    static void decode_fp8_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, float *out);
};

// ---- GEMV ----

template <int R>
void Kernel::gemv_lut4(const LutLayout &l, const uint8_t *w, size_t stride, const float *x, float *y) {
    const float *levels = lut_code_values(l.kind);
    const int64_t nb = l.padded_cols / 32;
    LutNextRows<Kernel> next(w + R * stride, R * stride, nb);
    __m256 acc[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
    LutRuns runs(l, 0);
    for (int64_t b = 0; b < nb;) {
        const LutBlockRun run = runs.block_run(b, nb);
        Table lo[R], hi[R];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            lo[r] = scaled_table(levels, lut_scale_at(l, w + r * stride, run.g_lo));
            hi[r] = run.g_hi == run.g_lo ? lo[r] : scaled_table(levels, lut_scale_at(l, w + r * stride, run.g_hi));
        }
        for (; b < run.b1; ++b) {
            next.step();
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                __m256 v[4];
                lut4_block(w + r * stride + b * 16, lo[r], hi[r], v);
#pragma GCC unroll 4
                for (int q = 0; q < 4; ++q) acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x + b * 32 + q * 8), v[q], acc[r]);
            }
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) y[r] = hsum(acc[r]);
}

template <QuantKind K, int R>
void Kernel::gemv_fp8(const LutLayout &l, const uint8_t *w, size_t stride, const float *x, float *y) {
    const int64_t nc = l.padded_cols / 16;
    LutNextRows<Kernel> next(w + R * stride, R * stride, nc);
    __m256 acc[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r] = _mm256_setzero_ps();
    LutRuns runs(l, 0);
    for (int64_t c = 0; c < nc;) {
        const LutChunkRun run = runs.chunk_run(c, nc);
        __m256 part[R];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) part[r] = _mm256_setzero_ps();
        for (; c < run.c1; ++c) {
            next.step();
            const __m256 x0 = _mm256_loadu_ps(x + c * 16);
            const __m256 x1 = _mm256_loadu_ps(x + c * 16 + 8);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                const uint8_t *p = w + r * stride + c * 16;
                part[r] = _mm256_fmadd_ps(x0, fp8_8<K>(p), part[r]);
                part[r] = _mm256_fmadd_ps(x1, fp8_8<K>(p + 8), part[r]);
            }
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const float s = lut_scale_at(l, w + r * stride, run.g) * kFp8Fix<K>;
            acc[r] = _mm256_fmadd_ps(part[r], _mm256_set1_ps(s), acc[r]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) y[r] = hsum(acc[r]);
}

// ---- GEMM ----

void Kernel::decode_lut4_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, float *out) {
    const float *levels = lut_code_values(l.kind);
    LutRuns runs(l, b0 * 32);
    for (int64_t b = b0; b < b1;) {
        const LutBlockRun run = runs.block_run(b, b1);
        const Table lo = scaled_table(levels, lut_scale_at(l, row, run.g_lo));
        const Table hi = scaled_table(levels, lut_scale_at(l, row, run.g_hi));
        for (; b < run.b1; ++b, out += 32) {
            __m256 v[4];
            lut4_block(row + b * 16, lo, hi, v);
            for (int q = 0; q < 4; ++q) _mm256_storeu_ps(out + q * 8, v[q]);
        }
    }
}

template <QuantKind K>
void Kernel::decode_fp8_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, float *out) {
    LutRuns runs(l, b0 * 32);
    for (int64_t b = b0; b < b1;) {
        const LutBlockRun run = runs.block_run(b, b1);
        const __m256 lo = _mm256_set1_ps(lut_scale_at(l, row, run.g_lo) * kFp8Fix<K>);
        const __m256 hi = _mm256_set1_ps(lut_scale_at(l, row, run.g_hi) * kFp8Fix<K>);
        for (; b < run.b1; ++b, out += 32) {
            const uint8_t *p = row + b * 32;
            _mm256_storeu_ps(out, _mm256_mul_ps(fp8_8<K>(p), lo));
            _mm256_storeu_ps(out + 8, _mm256_mul_ps(fp8_8<K>(p + 8), lo));
            _mm256_storeu_ps(out + 16, _mm256_mul_ps(fp8_8<K>(p + 16), hi));
            _mm256_storeu_ps(out + 24, _mm256_mul_ps(fp8_8<K>(p + 24), hi));
        }
    }
}

}  // namespace

void lut_f32_matmul_rows_avx2(const LutLayout &l, const Matrix &w, const float *x, const uint8_t *prepared,
                              int64_t m, int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    if (prepared != nullptr) {
        x = reinterpret_cast<const float *>(prepared);
        ldx = l.padded_cols;
    }
    lut_matmul_drive<Kernel>(l, w, x, m, ldx, y, ldy, r0, r1);
}

}  // namespace llmrt
