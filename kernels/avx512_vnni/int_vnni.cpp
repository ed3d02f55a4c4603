// Int8 compute for the int8/int4 weight types with AVX512-VNNI. x arrives quantized per block
// (prepare). For each superblock, vpdpbusd multiplies 64 unsigned codes of 16 blocks by the
// matching signed x bytes and sums each block in its own 32-bit lane; after the superblock a
// convert and two FMAs per (x row, W row) apply scale * dx and the offset term:
//     y += sum_lanes (scale * dx) * isum + offset * (dx * sum(xq)).
//
// Measured on the 2-core AVX512 Zen 5 VM, W 2048 x 5632 and its transpose, 1 thread, against
// f32 in the same run: decode (rotating copies, so every call reads DRAM) int4 g32 32-36 GB/s,
// 90-95% of measure_read_bandwidth_gbs, 6.0-7.5x f32 decode; int8 g32 33 GB/s. Prefill m=128:
// int4 g32 510-530 GFLOP/s, 2.4-2.5x oneDNN f32; int8 g32 440-510 (2.1-2.4x); int4 g128 3x.
#include "kernels/avx512/common_avx512.h"  // first: sets a diagnostic pragma

#include "kernels/avx512/int_avx512.h"
#include "kernels/int_gemm.h"
#include "kernels/int_quant.h"

namespace llmrt {
namespace {

using avx512::hsum;
using avx512::load_codes;
using avx512::sb_params;
using avx512::SbParams;

// acc += a (unsigned bytes) . b (signed bytes), per 32-bit lane. Inline asm ties acc to one
// register: with the intrinsic, GCC 12 copies every accumulator around every vpdpbusd in the
// unrolled tile loops (32 extra moves and some spills per 16 dot products: prefill was 25%
// slower, measured).
[[gnu::always_inline]] inline __m512i dpbusd(__m512i acc, __m512i a, __m512i b) {
    asm("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "vm"(b));
    return acc;
}

// Prefill register tile: 4 x rows by 4 W rows: 16 int32 accumulators, 4 code vectors, x as
// memory operands; the float totals are touched once per superblock and may live on the stack.
// (Larger tiles spill in the inner loop and run at half speed; 4x3 and 3x4 are within noise.)
constexpr int kMr = 4;
constexpr int kNr = 4;

// The integer dot products of one superblock: acc[i][j] lane b = sum over the block b codes of
// W row j times x row i's quantized values.
template <int MR, int NR, bool Int4, bool Full>
[[gnu::always_inline]] inline void sb_isums(const IntGeom &g, const SbLayout &l, const uint8_t *w, int64_t w_stride,
                                            const uint8_t *xq, int64_t x_stride, __m512i (&acc)[MR][NR]) {
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_setzero_si512();
    const uint8_t *codes = w + l.codes;
    for (int64_t q = 0; q < g.quads; ++q, codes += l.qrow_bytes, xq += 64) {
        __m512i wv[NR];
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j) wv[j] = load_codes<Int4, Full>(codes + j * w_stride, l.n);
#pragma GCC unroll 4
        for (int i = 0; i < MR; ++i) {
            const __m512i xv = _mm512_loadu_si512(xq + i * x_stride);
#pragma GCC unroll 4
            for (int j = 0; j < NR; ++j) acc[i][j] = dpbusd(acc[i][j], wv[j], xv);
        }
    }
}

// Decode: one W row at a time (see kGemvPrefetchBytes in int_avx512.h), with four independent
// accumulators over the quad-rows (quads is a multiple of 4) and separate float accumulators for
// the scale and offset terms to keep dependency chains short.
template <bool Int4, bool Full>
[[gnu::always_inline]] inline void gemv_sb(const IntGeom &g, const uint8_t *w, const uint8_t *xsb, int64_t s,
                                           __m512 &scaled, __m512 &offsets) {
    const SbLayout l = sb_layout(g, s);
    avx512::prefetch_ahead(w + s * g.sb_bytes, g.sb_bytes);
    __m512i a[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
    const uint8_t *codes = w + l.codes;
    const uint8_t *xq = xsb + 128;
    for (int64_t q = 0; q < g.quads; q += 4, codes += 4 * l.qrow_bytes, xq += 4 * 64) {
#pragma GCC unroll 4
        for (int u = 0; u < 4; ++u)
            a[u] = dpbusd(a[u], load_codes<Int4, Full>(codes + u * l.qrow_bytes, l.n), _mm512_loadu_si512(xq + u * 64));
    }
    const __m512i isum = _mm512_add_epi32(_mm512_add_epi32(a[0], a[1]), _mm512_add_epi32(a[2], a[3]));
    const SbParams p = sb_params<Full>(g, w, l);
    const float *lanes = reinterpret_cast<const float *>(xsb);
    scaled = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(p.scale, _mm512_loadu_ps(lanes)), scaled);
    offsets = _mm512_fmadd_ps(p.offset, _mm512_loadu_ps(lanes + 16), offsets);
}

template <bool Int4>
float gemv_row(const IntGeom &g, const uint8_t *w, const uint8_t *x, int64_t psb) {
    __m512 scaled = _mm512_setzero_ps(), offsets = _mm512_setzero_ps();
    const int64_t full = g.tail == kSbBlocks ? g.nsb : g.nsb - 1;
    for (int64_t s = 0; s < full; ++s) gemv_sb<Int4, true>(g, w, x + s * psb, s, scaled, offsets);
    if (full < g.nsb) gemv_sb<Int4, false>(g, w, x + full * psb, full, scaled, offsets);
    return hsum(_mm512_add_ps(scaled, offsets));
}

template <bool Int4>
void gemv(const IntGeom &g, const uint8_t *w_data, const uint8_t *x, float *y, int64_t r0, int64_t r1) {
    const int64_t psb = prep_sb_bytes(g, ComputeDtype::Int8);
    for (int64_t r = r0; r < r1; ++r) y[r] = gemv_row<Int4>(g, w_data + r * g.row_bytes, x, psb);
}

template <int MR, int NR, bool Int4, bool Full>
[[gnu::always_inline]] inline void sb_accumulate(const IntTileArgs &a, int64_t s, __m512 (&tot)[MR][NR]) {
    const IntGeom &g = *a.g;
    const SbLayout l = sb_layout(g, s);
    const uint8_t *xsb = a.x + s * a.psb;
    if (a.first_pass)
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j) avx512::prefetch_next_tile(a.w + j * g.row_bytes + s * g.sb_bytes, NR * g.row_bytes, g.sb_bytes);
    __m512i acc[MR][NR];
    sb_isums<MR, NR, Int4, Full>(g, l, a.w, g.row_bytes, xsb + 128, a.x_stride, acc);
    // sym: scale * (dx * isum - zero * dx * sum(xq)), 3 operations per (i, j); asym:
    // scale * dx * isum + min * dx * sum(xq), 4.
    __m512 dx[MR], xsum[MR];
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
        const float *lanes = reinterpret_cast<const float *>(xsb + i * a.x_stride);
        dx[i] = _mm512_loadu_ps(lanes);
        xsum[i] = _mm512_loadu_ps(lanes + 16);
        if (!g.asym) xsum[i] = _mm512_mul_ps(xsum[i], _mm512_set1_ps(-static_cast<float>(g.zero)));
    }
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) {
        const SbParams p = sb_params<Full>(g, a.w + j * g.row_bytes, l);
#pragma GCC unroll 4
        for (int i = 0; i < MR; ++i) {
            const __m512 isum = _mm512_cvtepi32_ps(acc[i][j]);
            if (g.asym) {
                tot[i][j] = _mm512_fmadd_ps(isum, _mm512_mul_ps(p.scale, dx[i]), tot[i][j]);
                tot[i][j] = _mm512_fmadd_ps(p.offset, xsum[i], tot[i][j]);
            } else {
                tot[i][j] = _mm512_fmadd_ps(p.scale, _mm512_fmadd_ps(isum, dx[i], xsum[i]), tot[i][j]);
            }
        }
    }
}

template <bool Int4>
struct Sb : avx512::SbTileAcc {
    static constexpr int kMaxMr = kMr;
    static constexpr int kMaxNr = kNr;
    template <int MR, int NR, bool Full>
    [[gnu::always_inline]] void accumulate(const IntTileArgs &a, int64_t s, __m512 (&tot)[MR][NR]) const {
        sb_accumulate<MR, NR, Int4, Full>(a, s, tot);
    }
};

}  // namespace

void int_matmul_int8_vnni(const IntGeom &g, const Matrix &w, const float *, const uint8_t *prepared, int64_t m,
                          int64_t, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    if (m == 1 && g.nsb > 0) {
        if (g.int4) {
            gemv<true>(g, w.data, prepared, y, r0, r1);
        } else {
            gemv<false>(g, w.data, prepared, y, r0, r1);
        }
        return;
    }
    const IntTileSet &t = g.int4 ? int_sb_tile_set<Sb<true>>() : int_sb_tile_set<Sb<false>>();
    int_matmul_drive(t, g, w.data, prepared, prep_sb_bytes(g, ComputeDtype::Int8), m, y, ldy, r0, r1);
}

}  // namespace llmrt
