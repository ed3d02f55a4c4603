// nf4/fp4/fp8 matmul with fp32 compute on AVX512 (layout: lut_quant.h).
//
// Decoding: a 4-bit code is an index into the group's 16 values, pre-multiplied by its scale and
// held in one register, so `vpermps` turns 16 codes into 16 dequantized weights. An fp8 byte is
// moved into the bit position of an fp16 (E5M2 is the top byte of an fp16; E4M3 needs its sign
// moved and a 2^8 exponent fix, folded into the scale) and widened by `vcvtph2ps`, which also
// handles the subnormals exactly.
//
// GEMV (decode): several W rows at once, each with its own accumulator, so x is loaded once per
// block for all of them and the packed bytes stream exactly once.
// GEMM (prefill): a panel of W (kNc rows x up to kKcMax columns) is decoded into fp32 on the
// stack and reused by every x row through a kMr x kNr register tile, so the decoding cost is
// divided by m.
//
// Measured on the 2-core AVX512 Zen 5 VM (shared, so ratios within one run), W 5632 x 2048, all
// copies in rotation so every call reads DRAM. GEMV, 1 thread: nf4_g64 29 GB/s of packed bytes,
// fp4_g32 29, fp8_e4m3_g128 31, against 38-40 for the f32 kernel and 37-40 from the bandwidth
// probe: one core decodes about 16 bytes of nf4 per 2.2 cycles (6 vector ops per 32 weights,
// and vpermps, vpmovzxbd and FMA share two pipes), so a single thread is compute bound. 2
// threads: 45-50 GB/s, the same as the f32 GEMV and the probe (43-49). GEMM m=128: 171-177
// GFLOP/s on 1 thread, 1.05x our f32 kernel (oneDNN f32: 215); ~340 on 2.
#include "kernels/avx512/common_avx512.h"  // first: sets a diagnostic pragma

#include <algorithm>
#include <array>
#include <utility>

#include "kernels/lut_kernels.h"

namespace llmrt {
namespace {

using avx512::hsum;

// GEMV rows at once: 8 accumulators and 16 scaled tables (4-bit kinds) stay in the 32 registers.
constexpr int kGemvRows = 8;
// GEMM register tile, as in the f32 kernel: 24 accumulators + 4 x vectors + 1 W vector.
constexpr int kMr = 4;
constexpr int kNr = 6;
// Panel: 12 rows x 1024 fp32 = 48 KB of stack, L1/L2 resident while all x rows pass over it.
constexpr int64_t kNc = 12;
constexpr int64_t kKcMax = 1024;

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

// ---- GEMV ----

// Prefetches the next group of rows (contiguous after the current one) while the current rows
// are processed, spread evenly over `steps` loop iterations. Packed rows are short (a 2048-column
// nf4 row is 18 cache lines), too short for the hardware prefetcher to ramp up on each stream.
class NextRows {
public:
    NextRows(const uint8_t *next, size_t bytes, int64_t steps)
        : p_(next), end_(next + bytes), step_(((bytes + 63) / 64 + steps - 1) / steps * 64) {}
    void step() {
        const uint8_t *stop = std::min(p_ + step_, end_);
        for (; p_ < stop; p_ += 64) _mm_prefetch(reinterpret_cast<const char *>(p_), _MM_HINT_T0);
    }

private:
    const uint8_t *p_, *end_;
    size_t step_;
};

using GemvFn = void (*)(const LutLayout &, const uint8_t *, size_t, const float *, float *);

// y[r] = dot(x, W row r) for the R rows starting at w.
template <int R>
void gemv_lut4(const LutLayout &l, const uint8_t *w, size_t stride, const float *x, float *y) {
    const __m512 levels = _mm512_load_ps(lut_code_values(l.kind));
    const int64_t nb = l.padded_cols / 32;
    NextRows next(w + R * stride, R * stride, nb);
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
void gemv_fp8(const LutLayout &l, const uint8_t *w, size_t stride, const float *x, float *y) {
    const int64_t nc = l.padded_cols / 16;
    NextRows next(w + R * stride, R * stride, nc);
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

template <int... I>
constexpr std::array<GemvFn, sizeof...(I)> lut4_gemvs(std::integer_sequence<int, I...>) {
    return {{&gemv_lut4<I + 1>...}};
}
template <QuantKind K, int... I>
constexpr std::array<GemvFn, sizeof...(I)> fp8_gemvs(std::integer_sequence<int, I...>) {
    return {{&gemv_fp8<K, I + 1>...}};
}
// [rows - 1] = the kernel for that many rows, so the row tail gets unrolled code too.
constexpr auto kLut4Gemv = lut4_gemvs(std::make_integer_sequence<int, kGemvRows>());
constexpr auto kE4m3Gemv = fp8_gemvs<QuantKind::FP8_E4M3>(std::make_integer_sequence<int, kGemvRows>());
constexpr auto kE5m2Gemv = fp8_gemvs<QuantKind::FP8_E5M2>(std::make_integer_sequence<int, kGemvRows>());

const std::array<GemvFn, kGemvRows> &gemv_fns(QuantKind kind) {
    if (kind == QuantKind::FP8_E4M3) return kE4m3Gemv;
    if (kind == QuantKind::FP8_E5M2) return kE5m2Gemv;
    return kLut4Gemv;
}

void gemv(const LutLayout &l, const Matrix &w, const float *x, float *y, int64_t r0, int64_t r1) {
    const auto &fns = gemv_fns(l.kind);
    const uint8_t *rows = w.data + static_cast<size_t>(r0) * l.row_bytes;
    int64_t r = r0;
    for (; r + kGemvRows <= r1; r += kGemvRows, rows += kGemvRows * l.row_bytes)
        fns[kGemvRows - 1](l, rows, l.row_bytes, x, y + r);
    if (r < r1) fns[r1 - r - 1](l, rows, l.row_bytes, x, y + r);
}

// ---- GEMM ----

// Blocks [b0, b1) of one row as fp32 weights (32 per block) at out.
using DecodeRowFn = void (*)(const LutLayout &, const uint8_t *, int64_t, int64_t, float *);

void decode_lut4_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, float *out) {
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
void decode_fp8_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, float *out) {
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

DecodeRowFn decode_fn(QuantKind kind) {
    if (kind == QuantKind::FP8_E4M3) return &decode_fp8_row<QuantKind::FP8_E4M3>;
    if (kind == QuantKind::FP8_E5M2) return &decode_fp8_row<QuantKind::FP8_E5M2>;
    return &decode_lut4_row;
}

// y[i * ldy + j] (+)= dot(x_i[0, kc), w_j[0, kc)) for i < MR, j < NR; kc is a multiple of 16.
template <int MR, int NR>
void tile(const float *x, int64_t ldx, const float *w, int64_t ldw, int64_t kc, float *y, int64_t ldy,
          bool accumulate) {
    __m512 acc[MR][NR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; k += 16) {
        __m512 xv[MR];
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) xv[i] = _mm512_loadu_ps(x + i * ldx + k);
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) {
            const __m512 wv = _mm512_load_ps(w + j * ldw + k);
#pragma GCC unroll 8
            for (int i = 0; i < MR; ++i) acc[i][j] = _mm512_fmadd_ps(xv[i], wv, acc[i][j]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) {
            const float s = hsum(acc[i][j]);
            float *out = y + i * ldy + j;
            *out = accumulate ? *out + s : s;
        }
}

using TileFn = void (*)(const float *, int64_t, const float *, int64_t, int64_t, float *, int64_t, bool);

template <int MR, int... J>
constexpr std::array<TileFn, sizeof...(J)> tiles_with_rows(std::integer_sequence<int, J...>) {
    return {{&tile<MR, J + 1>...}};
}
template <int... I>
constexpr std::array<std::array<TileFn, kNr>, sizeof...(I)> all_tiles(std::integer_sequence<int, I...>) {
    return {{tiles_with_rows<I + 1>(std::make_integer_sequence<int, kNr>())...}};
}
// kTiles[mr - 1][nr - 1] = tile<mr, nr>, so edge tiles get fully unrolled code too.
constexpr auto kTiles = all_tiles(std::make_integer_sequence<int, kMr>());

// K block: at most kKcMax, blocks of (nearly) equal size, a multiple of 64 like padded_cols.
int64_t k_block(int64_t padded_cols) {
    const int64_t n_blocks = (padded_cols + kKcMax - 1) / kKcMax;
    const int64_t kc = (padded_cols + n_blocks - 1) / n_blocks;
    return (kc + kLutColAlign - 1) / kLutColAlign * kLutColAlign;
}

void gemm(const LutLayout &l, const Matrix &w, const float *x, int64_t ldx, int64_t m, float *y, int64_t ldy,
          int64_t r0, int64_t r1) {
    alignas(64) float panel[kNc * kKcMax];
    const DecodeRowFn decode = decode_fn(l.kind);
    const int64_t kc_max = k_block(l.padded_cols);
    for (int64_t k0 = 0; k0 < l.padded_cols; k0 += kc_max) {
        const int64_t kc = std::min(kc_max, l.padded_cols - k0);
        for (int64_t n0 = r0; n0 < r1; n0 += kNc) {
            const int64_t nc = std::min(kNc, r1 - n0);
            for (int64_t j = 0; j < nc; ++j)
                decode(l, w.data + static_cast<size_t>(n0 + j) * l.row_bytes, k0 / 32, (k0 + kc) / 32, panel + j * kc);
            for (int64_t i0 = 0; i0 < m; i0 += kMr) {
                const int64_t mr = std::min<int64_t>(kMr, m - i0);
                for (int64_t j0 = 0; j0 < nc; j0 += kNr) {
                    const int64_t nr = std::min<int64_t>(kNr, nc - j0);
                    kTiles[mr - 1][nr - 1](x + i0 * ldx + k0, ldx, panel + j0 * kc, kc, kc, y + i0 * ldy + n0 + j0,
                                           ldy, k0 > 0);
                }
            }
        }
    }
}

}  // namespace

void lut_f32_matmul_rows_avx512(const LutLayout &l, const Matrix &w, const float *x, const uint8_t *prepared,
                                int64_t m, int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    if (m <= 0 || r0 >= r1) return;
    if (l.cols == 0) {
        for (int64_t i = 0; i < m; ++i) std::fill(y + i * ldy + r0, y + i * ldy + r1, 0.0f);
        return;
    }
    if (prepared != nullptr) {
        x = reinterpret_cast<const float *>(prepared);
        ldx = l.padded_cols;
    }
    if (m == 1) {
        gemv(l, w, x, y, r0, r1);
    } else {
        gemm(l, w, x, ldx, m, y, ldy, r0, r1);
    }
}

}  // namespace llmrt
