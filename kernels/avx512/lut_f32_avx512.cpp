// nf4/fp4/fp8 matmul with fp32 compute on AVX512 (layout: lut_quant.h).
//
// Decoding: a 4-bit code is an index into the group's 16 values, pre-multiplied by its scale and
// held in one register, so `vpermps` turns 16 codes into 16 dequantized weights. An fp8 byte is
// moved into the bit position of an fp16 (E5M2 is the top byte of an fp16; E4M3 needs its sign
// moved and a 2^8 exponent fix, folded into the scale) and widened by `vcvtph2ps`, which also
// handles the subnormals exactly.
//
// GEMV and GEMM: lut_gemm.h, with the panel decoded into fp32.
//
// Measured on the 2-core AVX512 Zen 5 VM (shared, so ratios within one run), W 5632 x 2048, all
// copies in rotation so every call reads DRAM. GEMV, 1 thread: nf4_g64 29 GB/s of packed bytes,
// fp4_g32 29, fp8_e4m3_g128 31, against 38-40 for the f32 kernel and 37-40 from the bandwidth
// probe: one core decodes about 16 bytes of nf4 per 2.2 cycles (6 vector ops per 32 weights,
// and vpermps, vpmovzxbd and FMA share two pipes), so a single thread is compute bound. 2
// threads: 45-50 GB/s, the same as the f32 GEMV and the probe (43-49). GEMM m=128: 171-177
// GFLOP/s on 1 thread, 1.05x our f32 kernel (oneDNN f32: 215); ~340 on 2.
#include "kernels/avx512/common_avx512.h"  // first: sets a diagnostic pragma

#include "kernels/lut_gemm.h"
#include "kernels/lut_kernels.h"

namespace llmrt {
namespace {

using avx512::hsum;

// The 16 code bytes of a 32-value block, one per lane: vpermps reads only the low 4 bits, so
// this indexes the first 16 values as is and the last 16 after a shift by 4.
__m512i block_indices(const uint8_t *block) {
    return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(block)));
}

template <QuantKind K>
__m256i fp8_to_fp16(__m128i b) {
    if constexpr (K == QuantKind::FP8_E4M3) {
        // s.eeee.mmm sign-extended, shifted so eeee.mmm lands in the fp16 exponent/mantissa
        // and the sign in bit 15; bit 14 (a sign copy) is cleared. Value = true value * 2^-8.
        const __m256i h = _mm256_slli_epi16(_mm256_cvtepi8_epi16(b), 7);
        return _mm256_and_si256(h, _mm256_set1_epi16(-0x4001));
    } else {
        return _mm256_slli_epi16(_mm256_cvtepu8_epi16(b), 8);  // E5M2 is the top byte of an fp16
    }
}

// 16 fp8 codes as fp32, to be multiplied by scale * kFp8Fix.
template <QuantKind K>
__m512 fp8_chunk(const uint8_t *p) {
    return _mm512_cvtph_ps(fp8_to_fp16<K>(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p))));
}

template <QuantKind K>
constexpr float kFp8Fix = K == QuantKind::FP8_E4M3 ? 256.0f : 1.0f;

struct Kernel : avx512::F32Fma {
    static constexpr bool kMaskedTail = false;
    // GEMV rows at once: 8 accumulators and 16 scaled tables (4-bit kinds) stay in the 32 registers.
    static constexpr int kGemvRows = 8;
    // GEMM register tile, as in the f32 kernel: 24 accumulators + 4 x vectors + 1 W vector.
    static constexpr int kMr = 4;
    static constexpr int kNr = 6;
    // Panel: 12 rows x 1024 fp32 = 48 KB of stack, L1/L2 resident while all x rows pass over it.
    static constexpr int64_t kNc = 12;
    static constexpr int64_t kKcMax = 1024;

    // The panel is 64-byte aligned and kc a multiple of 64.
    static __m512 load_w(const float *p) { return _mm512_load_ps(p); }

    template <int R>
    static void gemv_lut4(const LutLayout &l, const uint8_t *w, size_t stride, const float *x, float *y);
    template <QuantKind K, int R>
    static void gemv_fp8(const LutLayout &l, const uint8_t *w, size_t stride, const float *x, float *y);
    static void decode_lut4_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, float *out);
    template <QuantKind K>
    static void decode_fp8_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, float *out);
};

// ---- GEMV ----

// y[r] = dot(x, W row r) for the R rows starting at w.
template <int R>
void Kernel::gemv_lut4(const LutLayout &l, const uint8_t *w, size_t stride, const float *x, float *y) {
    const __m512 levels = _mm512_load_ps(lut_code_values(l.kind));
    const int64_t nb = l.padded_cols / 32;
    LutNextRows<Kernel> next(w + R * stride, R * stride, nb);
    __m512 acc[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
    LutRuns runs(l, 0);
    for (int64_t b = 0; b < nb;) {
        const LutBlockRun run = runs.block_run(b, nb);
        __m512 lo[R], hi[R];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const uint8_t *row = w + r * stride;
            lo[r] = _mm512_mul_ps(levels, _mm512_set1_ps(lut_scale_at(l, row, run.g_lo)));
            hi[r] = run.g_hi == run.g_lo ? lo[r] : _mm512_mul_ps(levels, _mm512_set1_ps(lut_scale_at(l, row, run.g_hi)));
        }
        for (; b < run.b1; ++b) {
            next.step();
            const __m512 x0 = _mm512_loadu_ps(x + b * 32);
            const __m512 x1 = _mm512_loadu_ps(x + b * 32 + 16);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
                const __m512i idx = block_indices(w + r * stride + b * 16);
                acc[r] = _mm512_fmadd_ps(x0, _mm512_permutexvar_ps(idx, lo[r]), acc[r]);
                acc[r] = _mm512_fmadd_ps(x1, _mm512_permutexvar_ps(_mm512_srli_epi32(idx, 4), hi[r]), acc[r]);
            }
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) y[r] = hsum(acc[r]);
}

// fp8: the products of a group are summed unscaled and the sum is scaled once per group.
template <QuantKind K, int R>
void Kernel::gemv_fp8(const LutLayout &l, const uint8_t *w, size_t stride, const float *x, float *y) {
    const int64_t nc = l.padded_cols / 16;
    LutNextRows<Kernel> next(w + R * stride, R * stride, nc);
    __m512 acc[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
    LutRuns runs(l, 0);
    for (int64_t c = 0; c < nc;) {
        const LutChunkRun run = runs.chunk_run(c, nc);
        __m512 part[R];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) part[r] = _mm512_setzero_ps();
        for (; c < run.c1; ++c) {
            next.step();
            const __m512 xv = _mm512_loadu_ps(x + c * 16);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) part[r] = _mm512_fmadd_ps(xv, fp8_chunk<K>(w + r * stride + c * 16), part[r]);
        }
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            const float s = lut_scale_at(l, w + r * stride, run.g) * kFp8Fix<K>;
            acc[r] = _mm512_fmadd_ps(part[r], _mm512_set1_ps(s), acc[r]);
        }
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) y[r] = hsum(acc[r]);
}

// ---- GEMM ----

void Kernel::decode_lut4_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, float *out) {
    const __m512 levels = _mm512_load_ps(lut_code_values(l.kind));
    LutRuns runs(l, b0 * 32);
    for (int64_t b = b0; b < b1;) {
        const LutBlockRun run = runs.block_run(b, b1);
        const __m512 lo = _mm512_mul_ps(levels, _mm512_set1_ps(lut_scale_at(l, row, run.g_lo)));
        const __m512 hi = _mm512_mul_ps(levels, _mm512_set1_ps(lut_scale_at(l, row, run.g_hi)));
        for (; b < run.b1; ++b, out += 32) {
            const __m512i idx = block_indices(row + b * 16);
            _mm512_storeu_ps(out, _mm512_permutexvar_ps(idx, lo));
            _mm512_storeu_ps(out + 16, _mm512_permutexvar_ps(_mm512_srli_epi32(idx, 4), hi));
        }
    }
}

template <QuantKind K>
void Kernel::decode_fp8_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, float *out) {
    LutRuns runs(l, b0 * 32);
    for (int64_t b = b0; b < b1;) {
        const LutBlockRun run = runs.block_run(b, b1);
        const __m512 lo = _mm512_set1_ps(lut_scale_at(l, row, run.g_lo) * kFp8Fix<K>);
        const __m512 hi = _mm512_set1_ps(lut_scale_at(l, row, run.g_hi) * kFp8Fix<K>);
        for (; b < run.b1; ++b, out += 32) {
            _mm512_storeu_ps(out, _mm512_mul_ps(fp8_chunk<K>(row + b * 32), lo));
            _mm512_storeu_ps(out + 16, _mm512_mul_ps(fp8_chunk<K>(row + b * 32 + 16), hi));
        }
    }
}

}  // namespace

void lut_f32_matmul_rows_avx512(const LutLayout &l, const Matrix &w, const float *x, const uint8_t *prepared,
                                int64_t m, int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    if (prepared != nullptr) {
        x = reinterpret_cast<const float *>(prepared);
        ldx = l.padded_cols;
    }
    lut_matmul_drive<Kernel>(l, w, x, m, ldx, y, ldy, r0, r1);
}

}  // namespace llmrt
