// nf4/fp4/fp8 matmul with bf16 compute (AVX512-BF16; layout: lut_quant.h). x is rounded to bf16
// once in prepare(); weights are decoded to bf16(code value * scale) and multiplied by
// `vdpbf16ps`, two products per fp32 lane.
//
// 4-bit decoding: two blocks (64 codes) are widened to words, and `vpermw` looks up the low
// nibbles of both in one step and, after a shift, the high nibbles in another. Each register
// half holds a group's 16 values times its scale rounded to bf16; within one group both halves
// hold the same table, so vpermw's 5th index bit (the other nibble's lowest bit) does not
// matter. The results are in the order [values 0..15, 32..47], [16..31, 48..63] of the 64,
// which is why prepare() stores x in that order for the 4-bit kinds.
// fp8 decoding: via fp16 as in the fp32 kernels, scaled in fp32, rounded to bf16.
//
// GEMV and GEMM are organised as in lut_f32_avx512.cpp. Measured there (W 5632 x 2048, 1
// thread): GEMV nf4_g64 31 GB/s, fp4_g32 33, fp8_e4m3_g128 27 (L2-resident: nf4_g128 44); GEMM
// m=128 330-350 GFLOP/s, 2.0-2.1x the fp32 kernels; 2 threads ~650-690.
#include "kernels/avx512/common_avx512.h"  // first: sets a diagnostic pragma

#include <algorithm>
#include <array>
#include <utility>

#include "kernels/lut_kernels.h"

namespace llmrt {
namespace {

using avx512::hsum;

constexpr int kGemvRows = 8;
constexpr int kMr = 4;
constexpr int kNr = 6;
// Panel: 12 rows x 2048 bf16 = 48 KB of stack.
constexpr int64_t kNc = 12;
constexpr int64_t kKcMax = 2048;

__m512bh as_bh(__m512i v) { return reinterpret_cast<__m512bh>(v); }

// Words 16..31 set to 16: moves an index into the upper half of a two-group table.
__m512i upper_half_16() {
    return _mm512_set_epi64(0x0010001000100010, 0x0010001000100010, 0x0010001000100010, 0x0010001000100010, 0, 0,
                            0, 0);
}

// [bf16(levels * s_a) in words 0..15, bf16(levels * s_b) in words 16..31].
__m512i table_pair(__m512 levels, float s_a, float s_b) {
    const __m512 a = _mm512_mul_ps(levels, _mm512_set1_ps(s_a));
    const __m512 b = _mm512_mul_ps(levels, _mm512_set1_ps(s_b));
    return reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(b, a));
}

// The 64 weights of a unit (4-bit blocks A and B at p) as bf16 in the order of prepared x:
// v0 = [A values 0..15, B values 0..15] (low nibbles, table t02), v1 = [A 16..31, B 16..31]
// (high nibbles, table t13). kMask: the table halves differ, so indices are confined to their
// half; otherwise both halves hold the same table and vpermw's 5th index bit does not matter.
template <bool kMask>
void lut4_unit(const uint8_t *p, __m512i t02, __m512i t13, __m512i &v0, __m512i &v1) {
    const __m512i bytes = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)));
    __m512i lo = bytes;
    __m512i hi = _mm512_srli_epi16(bytes, 4);
    if constexpr (kMask) {
        const __m512i offset = upper_half_16();
        lo = _mm512_ternarylogic_epi32(lo, _mm512_set1_epi16(0x0f), offset, 0xea);  // (lo & 0x0f) | offset
        hi = _mm512_or_si512(hi, offset);
    }
    v0 = _mm512_permutexvar_epi16(lo, t02);
    v1 = _mm512_permutexvar_epi16(hi, t13);
}

// How the four 16-value chunks of the units in a run map to groups, from the cheapest case:
// one group; two (the blocks differ: group 32); or any (group % 32 == 16 splits blocks).
enum class UnitGroups { kOne, kPerBlock, kPerChunk };

UnitGroups unit_groups(const LutUnitRun &run) {
    if (run.uniform) return UnitGroups::kOne;
    if (run.g[0] == run.g[1] && run.g[2] == run.g[3]) return UnitGroups::kPerBlock;
    return UnitGroups::kPerChunk;
}

// The tables of a run for one row: t02 for the low nibbles (chunks 0 and 2), t13 for the high
// nibbles (chunks 1 and 3; only kPerChunk needs it to differ from t02).
template <UnitGroups G>
void unit_tables(const LutLayout &l, const uint8_t *row, const LutUnitRun &run, __m512 levels, __m512i &t02,
                 __m512i &t13) {
    if constexpr (G == UnitGroups::kOne) {
        const __m512 t = _mm512_mul_ps(levels, _mm512_set1_ps(lut_scale_at(l, row, run.g[0])));
        t02 = t13 = reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(t, t));
    } else {
        t02 = table_pair(levels, lut_scale_at(l, row, run.g[0]), lut_scale_at(l, row, run.g[2]));
        t13 = G == UnitGroups::kPerBlock ? t02
                                         : table_pair(levels, lut_scale_at(l, row, run.g[1]), lut_scale_at(l, row, run.g[3]));
    }
}

template <QuantKind K>
__m512i fp8_to_fp16(__m256i b) {
    if constexpr (K == QuantKind::FP8_E4M3) {
        // As in lut_f32_avx512.cpp: value * 2^-8 as fp16, fixed by kFp8Fix in the scale.
        const __m512i h = _mm512_slli_epi16(_mm512_cvtepi8_epi16(b), 7);
        return _mm512_and_si512(h, _mm512_set1_epi16(-0x4001));
    } else {
        return _mm512_slli_epi16(_mm512_cvtepu8_epi16(b), 8);
    }
}

template <QuantKind K>
constexpr float kFp8Fix = K == QuantKind::FP8_E4M3 ? 256.0f : 1.0f;

// The 32 weights of an fp8 block as bf16(value * scale), natural order; s_lo/s_hi include kFp8Fix.
template <QuantKind K>
__m512i fp8_block(const uint8_t *block, __m512 s_lo, __m512 s_hi) {
    const __m512i h = fp8_to_fp16<K>(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(block)));
    const __m512 lo = _mm512_mul_ps(_mm512_cvtph_ps(_mm512_castsi512_si256(h)), s_lo);
    const __m512 hi = _mm512_mul_ps(_mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1)), s_hi);
    return reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo));
}

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

using GemvFn = void (*)(const LutLayout &, const uint8_t *, size_t, const uint16_t *, float *);

// The units of one run for R rows.
template <UnitGroups G, int R>
void lut4_units(const LutLayout &l, const uint8_t *w, size_t stride, const uint16_t *x, const LutUnitRun &run,
                int64_t u, __m512 levels, __m512 *acc, NextRows &next) {
    __m512i t02[R], t13[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) unit_tables<G>(l, w + r * stride, run, levels, t02[r], t13[r]);
    for (; u < run.u1; ++u) {
        next.step();
        const __m512i x0 = _mm512_loadu_si512(x + u * 64);
        const __m512i x1 = _mm512_loadu_si512(x + u * 64 + 32);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            __m512i v0, v1;
            lut4_unit<G != UnitGroups::kOne>(w + r * stride + u * 32, t02[r], t13[r], v0, v1);
            acc[r] = _mm512_dpbf16_ps(acc[r], as_bh(v0), as_bh(x0));
            acc[r] = _mm512_dpbf16_ps(acc[r], as_bh(v1), as_bh(x1));
        }
    }
}

template <int R>
void gemv_lut4(const LutLayout &l, const uint8_t *w, size_t stride, const uint16_t *x, float *y) {
    const __m512 levels = _mm512_load_ps(lut_code_values(l.kind));
    const int64_t nu = l.padded_cols / 64;
    NextRows next(w + R * stride, R * stride, nu);
    __m512 acc[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
    LutRuns runs(l, 0);
    for (int64_t u = 0; u < nu;) {
        const LutUnitRun run = runs.unit_run(u, nu);
        switch (unit_groups(run)) {
            case UnitGroups::kOne: lut4_units<UnitGroups::kOne, R>(l, w, stride, x, run, u, levels, acc, next); break;
            case UnitGroups::kPerBlock:
                lut4_units<UnitGroups::kPerBlock, R>(l, w, stride, x, run, u, levels, acc, next);
                break;
            case UnitGroups::kPerChunk:
                lut4_units<UnitGroups::kPerChunk, R>(l, w, stride, x, run, u, levels, acc, next);
                break;
        }
        u = run.u1;
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) y[r] = hsum(acc[r]);
}

template <QuantKind K, int R>
void gemv_fp8(const LutLayout &l, const uint8_t *w, size_t stride, const uint16_t *x, float *y) {
    const int64_t nb = l.padded_cols / 32;
    NextRows next(w + R * stride, R * stride, nb);
    __m512 acc[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_ps();
    LutRuns runs(l, 0);
    for (int64_t b = 0; b < nb;) {
        const LutBlockRun run = runs.block_run(b, nb);
        __m512 s_lo[R], s_hi[R];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            s_lo[r] = _mm512_set1_ps(lut_scale_at(l, w + r * stride, run.g_lo) * kFp8Fix<K>);
            s_hi[r] = _mm512_set1_ps(lut_scale_at(l, w + r * stride, run.g_hi) * kFp8Fix<K>);
        }
        for (; b < run.b1; ++b) {
            next.step();
            const __m512i xv = _mm512_loadu_si512(x + b * 32);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r)
                acc[r] = _mm512_dpbf16_ps(acc[r], as_bh(fp8_block<K>(w + r * stride + b * 32, s_lo[r], s_hi[r])), as_bh(xv));
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

void gemv(const LutLayout &l, const Matrix &w, const uint16_t *x, float *y, int64_t r0, int64_t r1) {
    const auto &fns = gemv_fns(l.kind);
    const uint8_t *rows = w.data + static_cast<size_t>(r0) * l.row_bytes;
    int64_t r = r0;
    for (; r + kGemvRows <= r1; r += kGemvRows, rows += kGemvRows * l.row_bytes)
        fns[kGemvRows - 1](l, rows, l.row_bytes, x, y + r);
    if (r < r1) fns[r1 - r - 1](l, rows, l.row_bytes, x, y + r);
}

// ---- GEMM ----

// Blocks [b0, b1) of one row as bf16 weights (32 per block) at out.
using DecodeRowFn = void (*)(const LutLayout &, const uint8_t *, int64_t, int64_t, uint16_t *);

template <UnitGroups G>
uint16_t *decode_lut4_units(const LutLayout &l, const uint8_t *row, const LutUnitRun &run, int64_t u, __m512 levels,
                            uint16_t *out) {
    __m512i t02, t13;
    unit_tables<G>(l, row, run, levels, t02, t13);
    for (; u < run.u1; ++u, out += 64) {
        __m512i v0, v1;
        lut4_unit<G != UnitGroups::kOne>(row + u * 32, t02, t13, v0, v1);
        _mm512_storeu_si512(out, v0);
        _mm512_storeu_si512(out + 32, v1);
    }
    return out;
}

void decode_lut4_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, uint16_t *out) {
    const __m512 levels = _mm512_load_ps(lut_code_values(l.kind));
    const int64_t u_end = b1 / 2;
    LutRuns runs(l, b0 * 32);
    for (int64_t u = b0 / 2; u < u_end;) {
        const LutUnitRun run = runs.unit_run(u, u_end);
        switch (unit_groups(run)) {
            case UnitGroups::kOne: out = decode_lut4_units<UnitGroups::kOne>(l, row, run, u, levels, out); break;
            case UnitGroups::kPerBlock: out = decode_lut4_units<UnitGroups::kPerBlock>(l, row, run, u, levels, out); break;
            case UnitGroups::kPerChunk: out = decode_lut4_units<UnitGroups::kPerChunk>(l, row, run, u, levels, out); break;
        }
        u = run.u1;
    }
}

template <QuantKind K>
void decode_fp8_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, uint16_t *out) {
    LutRuns runs(l, b0 * 32);
    for (int64_t b = b0; b < b1;) {
        const LutBlockRun run = runs.block_run(b, b1);
        const __m512 lo = _mm512_set1_ps(lut_scale_at(l, row, run.g_lo) * kFp8Fix<K>);
        const __m512 hi = _mm512_set1_ps(lut_scale_at(l, row, run.g_hi) * kFp8Fix<K>);
        for (; b < run.b1; ++b, out += 32) _mm512_storeu_si512(out, fp8_block<K>(row + b * 32, lo, hi));
    }
}

DecodeRowFn decode_fn(QuantKind kind) {
    if (kind == QuantKind::FP8_E4M3) return &decode_fp8_row<QuantKind::FP8_E4M3>;
    if (kind == QuantKind::FP8_E5M2) return &decode_fp8_row<QuantKind::FP8_E5M2>;
    return &decode_lut4_row;
}

// y[i * ldy + j] (+)= dot(x_i[0, kc), w_j[0, kc)) for i < MR, j < NR; bf16 rows, kc a multiple of 32.
template <int MR, int NR>
void tile(const uint16_t *x, int64_t ldx, const uint16_t *w, int64_t ldw, int64_t kc, float *y, int64_t ldy,
          bool accumulate) {
    __m512 acc[MR][NR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; k += 32) {
        __m512i xv[MR];
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) xv[i] = _mm512_loadu_si512(x + i * ldx + k);
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) {
            const __m512i wv = _mm512_load_si512(w + j * ldw + k);
#pragma GCC unroll 8
            for (int i = 0; i < MR; ++i) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], as_bh(xv[i]), as_bh(wv));
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

using TileFn = void (*)(const uint16_t *, int64_t, const uint16_t *, int64_t, int64_t, float *, int64_t, bool);

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

void gemm(const LutLayout &l, const Matrix &w, const uint16_t *x, int64_t m, float *y, int64_t ldy, int64_t r0,
          int64_t r1) {
    alignas(64) uint16_t panel[kNc * kKcMax];
    const DecodeRowFn decode = decode_fn(l.kind);
    const int64_t ldx = l.padded_cols;
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

void lut_bf16_prepare_avx512bf16(const LutLayout &l, const float *x, int64_t m, uint8_t *prepared) {
    uint16_t *out = reinterpret_cast<uint16_t *>(prepared);
    const bool swap_middle = lut_is_4bit(l.kind);  // see lut_bf16_prepared_bytes
    for (int64_t i = 0; i < m; ++i) {
        const float *xi = x + i * l.cols;
        uint16_t *o = out + i * l.padded_cols;
        for (int64_t c = 0; c < l.padded_cols; c += 64) {
            __m512 chunk[4];
            for (int q = 0; q < 4; ++q) {
                // Masked loads read nothing past cols and give zeros for the padding.
                const int64_t left = l.cols - c - q * 16;
                chunk[q] = left >= 16 ? _mm512_loadu_ps(xi + c + q * 16)
                                      : _mm512_maskz_loadu_ps(avx512::tail_mask(std::max<int64_t>(left, 0)), xi + c + q * 16);
            }
            const int a = swap_middle ? 2 : 1, b = swap_middle ? 1 : 2;
            _mm512_storeu_si512(o + c, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(chunk[a], chunk[0])));
            _mm512_storeu_si512(o + c + 32, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(chunk[3], chunk[b])));
        }
    }
}

void lut_bf16_matmul_rows_avx512bf16(const LutLayout &l, const Matrix &w, const float *, const uint8_t *prepared,
                                     int64_t m, int64_t, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    if (m <= 0 || r0 >= r1) return;
    if (l.cols == 0) {
        for (int64_t i = 0; i < m; ++i) std::fill(y + i * ldy + r0, y + i * ldy + r1, 0.0f);
        return;
    }
    const uint16_t *xb = reinterpret_cast<const uint16_t *>(prepared);
    if (m == 1) {
        gemv(l, w, xb, y, r0, r1);
    } else {
        gemm(l, w, xb, m, y, ldy, r0, r1);
    }
}

}  // namespace llmrt
