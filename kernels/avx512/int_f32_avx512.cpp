// F32 compute for the int8/int4 weight types with AVX512: codes become floats inside the dot
// product (int4: vpermps looks the low / high nibble up in a table of 0..15; int8: vpmovzxbd +
// convert) and meet x, which prepare laid out in the same order. Accumulator lanes belong to
// fixed blocks, so scales apply once per superblock, as in the VNNI kernel. The fallback where
// VNNI and AVX512-BF16 are missing (or F32 is asked for): compute-bound at about 2/3 of the
// memory bandwidth in decode (int4 g32: 18-24 GB/s, 3.4-4.9x f32 decode) and 0.6-0.8x oneDNN
// f32 in prefill (measured on the Zen 5 VM).
#include "kernels/avx512/common_avx512.h"  // first: sets a diagnostic pragma

#include "kernels/avx512/int_avx512.h"
#include "kernels/int_gemm.h"
#include "kernels/int_quant.h"

namespace llmrt {
namespace {

using avx512::byte_mask16;
using avx512::hsum;
using avx512::sb_params;
using avx512::SbParams;

// Prefill register tiles (x rows by W rows): int4 keeps 2 accumulators per pair, int8 4, so
// 4x2 and 2x2 fill the registers without spilling.
template <bool Int4>
constexpr int kMr = Int4 ? 4 : 2;
constexpr int kNr = 2;

template <bool Full>
inline __m128i load16(const uint8_t *p, int64_t valid_bytes) {
    return Full ? _mm_loadu_si128(reinterpret_cast<const __m128i *>(p)) : _mm_maskz_loadu_epi8(byte_mask16(valid_bytes), p);
}

// The 64 codes of one quad-row as four vectors of 16 floats, in prepare's F32 order. int4: bytes
// 0..15 hold blocks 0..7 (low nibbles, then high nibbles), bytes 16..31 blocks 8..15.
template <bool Int4, bool Full>
[[gnu::always_inline]] inline void load_codes_f32(const uint8_t *p, int64_t qrow_bytes, __m512 (&f)[4]) {
    if constexpr (Int4) {
        const __m512 values = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        const __m512i v0 = _mm512_cvtepu8_epi32(load16<Full>(p, qrow_bytes));
        const __m512i v1 = _mm512_cvtepu8_epi32(load16<Full>(p + 16, qrow_bytes - 16));
        // vpermps only reads the low 4 bits of each index: no mask needed for the low nibble.
        f[0] = _mm512_permutexvar_ps(v0, values);
        f[1] = _mm512_permutexvar_ps(_mm512_srli_epi32(v0, 4), values);
        f[2] = _mm512_permutexvar_ps(v1, values);
        f[3] = _mm512_permutexvar_ps(_mm512_srli_epi32(v1, 4), values);
    } else {
#pragma GCC unroll 4
        for (int k = 0; k < 4; ++k)
            f[k] = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(load16<Full>(p + 16 * k, qrow_bytes - 16 * k)));
    }
}

// Lane l of accumulator k (the k-th vector of load_codes_f32) belongs to block lane_blocks(k)[l].
inline __m512i lane_blocks(bool int4, int k) {
    if (int4) {
        return k < 2 ? _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7)
                     : _mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
    }
    const int b = 4 * k;
    return _mm512_setr_epi32(b, b, b, b, b + 1, b + 1, b + 1, b + 1, b + 2, b + 2, b + 2, b + 2, b + 3, b + 3, b + 3,
                             b + 3);
}

template <int MR, int NR, bool Int4, bool Full>
[[gnu::always_inline]] inline void sb_accumulate(const IntTileArgs &a, int64_t s, __m512 (&tot)[MR][NR]) {
    const IntGeom &g = *a.g;
    const SbLayout l = sb_layout(g, s);
    const uint8_t *xsb = a.x + s * a.psb;
    if (a.first_pass)
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j) avx512::prefetch_next_tile(a.w + j * g.row_bytes + s * g.sb_bytes, NR * g.row_bytes, g.sb_bytes);
    // Accumulators per (x row, W row): int4's low and high nibble vectors of a byte half share
    // their blocks (k and k + 1), so 2 do; int8 needs 4.
    constexpr int P = Int4 ? 2 : 4;
    __m512 acc[MR][NR][P];
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j)
#pragma GCC unroll 4
            for (int k = 0; k < P; ++k) acc[i][j][k] = _mm512_setzero_ps();
    const uint8_t *codes = a.w + l.codes;
    const float *xq = reinterpret_cast<const float *>(xsb + 64);
    for (int64_t q = 0; q < g.quads; ++q, codes += l.qrow_bytes, xq += 64) {
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j) {
            __m512 f[4];
            load_codes_f32<Int4, Full>(codes + j * g.row_bytes, l.qrow_bytes, f);
#pragma GCC unroll 4
            for (int i = 0; i < MR; ++i) {
                const float *xi = reinterpret_cast<const float *>(reinterpret_cast<const uint8_t *>(xq) + i * a.x_stride);
#pragma GCC unroll 4
                for (int k = 0; k < 4; ++k)
                    acc[i][j][k * P / 4] = avx512::fma_acc(acc[i][j][k * P / 4], f[k], _mm512_loadu_ps(xi + 16 * k));
            }
        }
    }
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) {
        const SbParams p = sb_params<Full>(g, a.w + j * g.row_bytes, l);
        __m512 lane_scale[P];
#pragma GCC unroll 4
        for (int k = 0; k < P; ++k) lane_scale[k] = _mm512_permutexvar_ps(lane_blocks(Int4, k * 4 / P), p.scale);
#pragma GCC unroll 4
        for (int i = 0; i < MR; ++i) {
            const __m512 xsum = _mm512_loadu_ps(reinterpret_cast<const float *>(xsb + i * a.x_stride));
#pragma GCC unroll 4
            for (int k = 0; k < P; ++k) tot[i][j] = _mm512_fmadd_ps(acc[i][j][k], lane_scale[k], tot[i][j]);
            tot[i][j] = _mm512_fmadd_ps(p.offset, xsum, tot[i][j]);
        }
    }
}

// Decode: one W row at a time (see kGemvPrefetchBytes in int_avx512.h), two sets of accumulators
// over alternate quad-rows (quads is a multiple of 4) for independent FMA chains.
template <bool Int4, bool Full>
[[gnu::always_inline]] inline void gemv_sb(const IntGeom &g, const uint8_t *w, const uint8_t *xsb, int64_t s,
                                           __m512 (&tot)[2]) {
    const SbLayout l = sb_layout(g, s);
    avx512::prefetch_ahead(w + s * g.sb_bytes, g.sb_bytes);
    __m512 acc[2][4];
#pragma GCC unroll 2
    for (int u = 0; u < 2; ++u)
#pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) acc[u][k] = _mm512_setzero_ps();
    const uint8_t *codes = w + l.codes;
    const float *xq = reinterpret_cast<const float *>(xsb + 64);
    for (int64_t q = 0; q < g.quads; q += 2, codes += 2 * l.qrow_bytes, xq += 2 * 64) {
#pragma GCC unroll 2
        for (int u = 0; u < 2; ++u) {
            __m512 f[4];
            load_codes_f32<Int4, Full>(codes + u * l.qrow_bytes, l.qrow_bytes, f);
#pragma GCC unroll 4
            for (int k = 0; k < 4; ++k)
                acc[u][k] = avx512::fma_acc(acc[u][k], f[k], _mm512_loadu_ps(xq + u * 64 + 16 * k));
        }
    }
    const SbParams p = sb_params<Full>(g, w, l);
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k)
        tot[k % 2] = _mm512_fmadd_ps(_mm512_add_ps(acc[0][k], acc[1][k]),
                                     _mm512_permutexvar_ps(lane_blocks(Int4, k), p.scale), tot[k % 2]);
    tot[0] = _mm512_fmadd_ps(p.offset, _mm512_loadu_ps(reinterpret_cast<const float *>(xsb)), tot[0]);
}

template <bool Int4>
void gemv(const IntGeom &g, const uint8_t *w_data, const uint8_t *x, float *y, int64_t r0, int64_t r1) {
    const int64_t psb = prep_sb_bytes(g, ComputeDtype::F32);
    const int64_t full = g.tail == kSbBlocks ? g.nsb : g.nsb - 1;
    for (int64_t r = r0; r < r1; ++r) {
        const uint8_t *w = w_data + r * g.row_bytes;
        __m512 tot[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
        for (int64_t s = 0; s < full; ++s) gemv_sb<Int4, true>(g, w, x + s * psb, s, tot);
        if (full < g.nsb) gemv_sb<Int4, false>(g, w, x + full * psb, full, tot);
        y[r] = hsum(_mm512_add_ps(tot[0], tot[1]));
    }
}

template <bool Int4>
struct Sb : avx512::SbTileAcc {
    static constexpr int kMaxMr = kMr<Int4>;
    static constexpr int kMaxNr = kNr;
    template <int MR, int NR, bool Full>
    [[gnu::always_inline]] void accumulate(const IntTileArgs &a, int64_t s, __m512 (&tot)[MR][NR]) const {
        sb_accumulate<MR, NR, Int4, Full>(a, s, tot);
    }
};

}  // namespace

void int_matmul_f32_avx512(const IntGeom &g, const Matrix &w, const float *, const uint8_t *prepared, int64_t m,
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
    int_matmul_drive(t, g, w.data, prepared, prep_sb_bytes(g, ComputeDtype::F32), m, y, ldy, r0, r1);
}

}  // namespace llmrt
