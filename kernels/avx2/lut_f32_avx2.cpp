// nf4/fp4/fp8 matmul with fp32 compute on AVX2 (layout: lut_quant.h); same structure as
// lut_f32_avx512.cpp, sized for 16 ymm registers. `vpermps` on ymm indexes only 8 values, so a
// 4-bit code looks up both halves of the group's table and bit 3 of the code picks one (blendv
// reads the sign bit, where a shift puts bit 3).
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

#include "kernels/avx2/common_avx2.h"
#include "kernels/lut_kernels.h"

namespace llmrt {
namespace {

using avx2::hsum;

constexpr int kGemvRows = 4;
constexpr int kMr = 3;
constexpr int kNr = 4;
constexpr int64_t kNc = 12;
constexpr int64_t kKcMax = 1024;

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

// ---- GEMV ----

// Prefetches the next group of rows while the current one is processed (see lut_f32_avx512.cpp).
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

template <int R>
void gemv_lut4(const LutLayout &l, const uint8_t *w, size_t stride, const float *x, float *y) {
    const float *levels = lut_code_values(l.kind);
    const int64_t nb = l.padded_cols / 32;
    NextRows next(w + R * stride, R * stride, nb);
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
void gemv_fp8(const LutLayout &l, const uint8_t *w, size_t stride, const float *x, float *y) {
    const int64_t nc = l.padded_cols / 16;
    NextRows next(w + R * stride, R * stride, nc);
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

template <int... I>
constexpr std::array<GemvFn, sizeof...(I)> lut4_gemvs(std::integer_sequence<int, I...>) {
    return {{&gemv_lut4<I + 1>...}};
}
template <QuantKind K, int... I>
constexpr std::array<GemvFn, sizeof...(I)> fp8_gemvs(std::integer_sequence<int, I...>) {
    return {{&gemv_fp8<K, I + 1>...}};
}
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

using DecodeRowFn = void (*)(const LutLayout &, const uint8_t *, int64_t, int64_t, float *);

void decode_lut4_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, float *out) {
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
void decode_fp8_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, float *out) {
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

DecodeRowFn decode_fn(QuantKind kind) {
    if (kind == QuantKind::FP8_E4M3) return &decode_fp8_row<QuantKind::FP8_E4M3>;
    if (kind == QuantKind::FP8_E5M2) return &decode_fp8_row<QuantKind::FP8_E5M2>;
    return &decode_lut4_row;
}

template <int MR, int NR>
void tile(const float *x, int64_t ldx, const float *w, int64_t ldw, int64_t kc, float *y, int64_t ldy,
          bool accumulate) {
    __m256 acc[MR][NR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();
    for (int64_t k = 0; k < kc; k += 8) {
        __m256 xv[MR];
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) xv[i] = _mm256_loadu_ps(x + i * ldx + k);
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) {
            const __m256 wv = _mm256_load_ps(w + j * ldw + k);
#pragma GCC unroll 8
            for (int i = 0; i < MR; ++i) acc[i][j] = _mm256_fmadd_ps(xv[i], wv, acc[i][j]);
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
constexpr auto kTiles = all_tiles(std::make_integer_sequence<int, kMr>());

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

void lut_f32_matmul_rows_avx2(const LutLayout &l, const Matrix &w, const float *x, const uint8_t *prepared,
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
