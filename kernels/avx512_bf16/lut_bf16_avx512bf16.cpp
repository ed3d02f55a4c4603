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
// GEMV and GEMM: lut_gemm.h, with the panel decoded into bf16. Measured as in
// lut_f32_avx512.cpp (W 5632 x 2048, 1 thread): GEMV nf4_g64 31 GB/s, fp4_g32 33,
// fp8_e4m3_g128 27 (L2-resident: nf4_g128 44); GEMM m=128 330-350 GFLOP/s, 2.0-2.1x the fp32
// kernels; 2 threads ~650-690.
#include "kernels/avx512/common_avx512.h"  // first: sets a diagnostic pragma

#include <algorithm>

#include "kernels/lut_gemm.h"
#include "kernels/lut_kernels.h"

namespace llmrt {
namespace {

using avx512::hsum;

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

// bf16 x and panel rows, two products per fp32 lane.
struct Kernel {
    using Elem = uint16_t;
    using Vec = __m512i;
    using Acc = __m512;
    static constexpr int kStep = 32;
    static constexpr bool kMaskedTail = false;
    static constexpr int kGemvRows = 8;
    static constexpr int kMr = 4;
    static constexpr int kNr = 6;
    // Panel: 12 rows x 2048 bf16 = 48 KB of stack.
    static constexpr int64_t kNc = 12;
    static constexpr int64_t kKcMax = 2048;

    static __m512 zero() { return _mm512_setzero_ps(); }
    static __m512i load_x(const uint16_t *p) { return _mm512_loadu_si512(p); }
    // The panel is 64-byte aligned and kc a multiple of 64.
    static __m512i load_w(const uint16_t *p) { return _mm512_load_si512(p); }
    static __m512 fma(__m512 acc, __m512i x, __m512i w) { return _mm512_dpbf16_ps(acc, as_bh(x), as_bh(w)); }
    static float sum(__m512 v) { return hsum(v); }

    template <int R>
    static void gemv_lut4(const LutLayout &l, const uint8_t *w, size_t stride, const uint16_t *x, float *y);
    template <QuantKind K, int R>
    static void gemv_fp8(const LutLayout &l, const uint8_t *w, size_t stride, const uint16_t *x, float *y);
    static void decode_lut4_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, uint16_t *out);
    template <QuantKind K>
    static void decode_fp8_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, uint16_t *out);
};

// ---- GEMV ----

// The units of one run for R rows.
template <UnitGroups G, int R>
void lut4_units(const LutLayout &l, const uint8_t *w, size_t stride, const uint16_t *x, const LutUnitRun &run,
                int64_t u, __m512 levels, __m512 *acc, LutNextRows<Kernel> &next) {
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
void Kernel::gemv_lut4(const LutLayout &l, const uint8_t *w, size_t stride, const uint16_t *x, float *y) {
    const __m512 levels = _mm512_load_ps(lut_code_values(l.kind));
    const int64_t nu = l.padded_cols / 64;
    LutNextRows<Kernel> next(w + R * stride, R * stride, nu);
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
void Kernel::gemv_fp8(const LutLayout &l, const uint8_t *w, size_t stride, const uint16_t *x, float *y) {
    const int64_t nb = l.padded_cols / 32;
    LutNextRows<Kernel> next(w + R * stride, R * stride, nb);
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

// ---- GEMM ----

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

void Kernel::decode_lut4_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, uint16_t *out) {
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
void Kernel::decode_fp8_row(const LutLayout &l, const uint8_t *row, int64_t b0, int64_t b1, uint16_t *out) {
    LutRuns runs(l, b0 * 32);
    for (int64_t b = b0; b < b1;) {
        const LutBlockRun run = runs.block_run(b, b1);
        const __m512 lo = _mm512_set1_ps(lut_scale_at(l, row, run.g_lo) * kFp8Fix<K>);
        const __m512 hi = _mm512_set1_ps(lut_scale_at(l, row, run.g_hi) * kFp8Fix<K>);
        for (; b < run.b1; ++b, out += 32) _mm512_storeu_si512(out, fp8_block<K>(row + b * 32, lo, hi));
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
    lut_matmul_drive<Kernel>(l, w, reinterpret_cast<const uint16_t *>(prepared), m, l.padded_cols, y, ldy, r0, r1);
}

}  // namespace llmrt
