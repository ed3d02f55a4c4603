// BF16 compute for the int8/int4 weight types with AVX512-BF16: x arrives as bf16 (prepare),
// codes become bf16 inside the dot product (integers up to 256 are exact in bf16) and vdpbf16ps
// multiplies pairs into f32 lanes that belong to fixed blocks, so scales (f32) apply once per
// superblock. int4: vpermw looks nibbles up in a table of bf16(0..15). Measured on the Zen 5 VM,
// int4 g32: decode 29-30 GB/s (80% of the read bandwidth), prefill 1.1-1.3x oneDNN f32 (vdpbf16ps
// has half the rate of vpdpbusd, and x is twice as large as int8).
#include "kernels/avx512/common_avx512.h"  // first: sets a diagnostic pragma

#include "kernels/avx512/int_avx512.h"
#include "kernels/int_gemm.h"
#include "kernels/int_quant.h"

namespace llmrt {
namespace {

using avx512::byte_mask16;
using avx512::hsum;
using avx512::load_qrow_int4;
using avx512::sb_params;
using avx512::SbParams;

// acc += pairwise bf16 dot of a and b into f32 lanes. Inline asm ties acc to one register (see
// fma_acc in int_avx512.h).
[[gnu::always_inline]] inline __m512 dpbf16(__m512 acc, __m512bh a, __m512i b) {
    asm("vdpbf16ps %2, %1, %0" : "+v"(acc) : "v"(a), "vm"(b));
    return acc;
}

// Prefill register tile: 4 x rows by 2 W rows, 2 accumulators per pair.
constexpr int kMr = 4;
constexpr int kNr = 2;

template <bool Full>
inline __m512 load16_f32(const uint8_t *p, int64_t valid_bytes) {
    const __m128i b = Full ? _mm_loadu_si128(reinterpret_cast<const __m128i *>(p))
                           : _mm_maskz_loadu_epi8(byte_mask16(valid_bytes), p);
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b));
}

// bf16(0..15) in the low 16 words (vpermw reads 5 index bits; nibbles only reach 15).
inline __m512i bf16_nibble_table() {
    const __m512 values = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return _mm512_castsi256_si512(reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(values)));
}

// The 64 codes of one quad-row as two vectors of 32 bf16, in prepare's BF16 order. int4: pair l
// of both vectors is block l (codes 0, 2 and 1, 3). int8: pair l of h[0] is block l / 2, of h[1]
// block 8 + l / 2.
template <bool Int4, bool Full>
[[gnu::always_inline]] inline void load_codes_bf16(const uint8_t *p, const SbLayout &l, __m512i table,
                                                   __m512bh (&h)[2]) {
    if constexpr (Int4) {
        const __m512i w = _mm512_cvtepu8_epi16(load_qrow_int4<Full>(p, l.n));
        h[0] = reinterpret_cast<__m512bh>(_mm512_permutexvar_epi16(_mm512_and_si512(w, _mm512_set1_epi16(0x0f)), table));
        h[1] = reinterpret_cast<__m512bh>(_mm512_permutexvar_epi16(_mm512_srli_epi16(w, 4), table));
    } else {
        (void)table;
        const int64_t nb = l.qrow_bytes;
        h[0] = _mm512_cvtne2ps_pbh(load16_f32<Full>(p + 16, nb - 16), load16_f32<Full>(p, nb));
        h[1] = _mm512_cvtne2ps_pbh(load16_f32<Full>(p + 48, nb - 48), load16_f32<Full>(p + 32, nb - 32));
    }
}

// Lane l of the int8 accumulators: block l / 2 (first 32 codes of a quad-row), 8 + l / 2.
inline __m512i low_blocks() { return _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7); }
inline __m512i high_blocks() { return _mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15); }

template <int MR, int NR, bool Int4, bool Full>
[[gnu::always_inline]] inline void sb_accumulate(const IntTileArgs &a, int64_t s, __m512i table,
                                                 __m512 (&tot)[MR][NR]) {
    const IntGeom &g = *a.g;
    const SbLayout l = sb_layout(g, s);
    const uint8_t *xsb = a.x + s * a.psb;
    if (a.first_pass)
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j) avx512::prefetch_next_tile(a.w + j * g.row_bytes + s * g.sb_bytes, NR * g.row_bytes, g.sb_bytes);
    __m512 acc[MR][NR][2];
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j) acc[i][j][0] = acc[i][j][1] = _mm512_setzero_ps();
    const uint8_t *codes = a.w + l.codes;
    const uint8_t *xq = xsb + 64;
    for (int64_t q = 0; q < g.quads; ++q, codes += l.qrow_bytes, xq += 128) {
#pragma GCC unroll 4
        for (int j = 0; j < NR; ++j) {
            __m512bh h[2];
            load_codes_bf16<Int4, Full>(codes + j * g.row_bytes, l, table, h);
#pragma GCC unroll 4
            for (int i = 0; i < MR; ++i) {
                const uint8_t *xi = xq + i * a.x_stride;
                acc[i][j][0] = dpbf16(acc[i][j][0], h[0], _mm512_loadu_si512(xi));
                acc[i][j][1] = dpbf16(acc[i][j][1], h[1], _mm512_loadu_si512(xi + 64));
            }
        }
    }
#pragma GCC unroll 4
    for (int j = 0; j < NR; ++j) {
        const SbParams p = sb_params<Full>(g, a.w + j * g.row_bytes, l);
#pragma GCC unroll 4
        for (int i = 0; i < MR; ++i) {
            const __m512 xsum = _mm512_loadu_ps(reinterpret_cast<const float *>(xsb + i * a.x_stride));
            if constexpr (Int4) {
                tot[i][j] = _mm512_fmadd_ps(_mm512_add_ps(acc[i][j][0], acc[i][j][1]), p.scale, tot[i][j]);
            } else {
                tot[i][j] = _mm512_fmadd_ps(acc[i][j][0], _mm512_permutexvar_ps(low_blocks(), p.scale), tot[i][j]);
                tot[i][j] = _mm512_fmadd_ps(acc[i][j][1], _mm512_permutexvar_ps(high_blocks(), p.scale), tot[i][j]);
            }
            tot[i][j] = _mm512_fmadd_ps(p.offset, xsum, tot[i][j]);
        }
    }
}

// Decode: one W row at a time (see kGemvPrefetchBytes in int_avx512.h), two sets of accumulators
// over alternate quad-rows (quads is a multiple of 4) for independent dot-product chains.
template <bool Int4, bool Full>
[[gnu::always_inline]] inline void gemv_sb(const IntGeom &g, const uint8_t *w, const uint8_t *xsb, int64_t s,
                                           __m512i table, __m512 (&tot)[2]) {
    const SbLayout l = sb_layout(g, s);
    avx512::prefetch_ahead(w + s * g.sb_bytes, g.sb_bytes);
    __m512 acc[2][2] = {{_mm512_setzero_ps(), _mm512_setzero_ps()}, {_mm512_setzero_ps(), _mm512_setzero_ps()}};
    const uint8_t *codes = w + l.codes;
    const uint8_t *xq = xsb + 64;
    for (int64_t q = 0; q < g.quads; q += 2, codes += 2 * l.qrow_bytes, xq += 2 * 128) {
#pragma GCC unroll 2
        for (int u = 0; u < 2; ++u) {
            __m512bh h[2];
            load_codes_bf16<Int4, Full>(codes + u * l.qrow_bytes, l, table, h);
            const uint8_t *xu = xq + u * 128;
            acc[u][0] = dpbf16(acc[u][0], h[0], _mm512_loadu_si512(xu));
            acc[u][1] = dpbf16(acc[u][1], h[1], _mm512_loadu_si512(xu + 64));
        }
    }
    const SbParams p = sb_params<Full>(g, w, l);
    const __m512 a0 = _mm512_add_ps(acc[0][0], acc[1][0]), a1 = _mm512_add_ps(acc[0][1], acc[1][1]);
    if constexpr (Int4) {
        tot[0] = _mm512_fmadd_ps(_mm512_add_ps(a0, a1), p.scale, tot[0]);
    } else {
        tot[0] = _mm512_fmadd_ps(a0, _mm512_permutexvar_ps(low_blocks(), p.scale), tot[0]);
        tot[1] = _mm512_fmadd_ps(a1, _mm512_permutexvar_ps(high_blocks(), p.scale), tot[1]);
    }
    tot[1] = _mm512_fmadd_ps(p.offset, _mm512_loadu_ps(reinterpret_cast<const float *>(xsb)), tot[1]);
}

template <bool Int4>
void gemv(const IntGeom &g, const uint8_t *w_data, const uint8_t *x, float *y, int64_t r0, int64_t r1) {
    const int64_t psb = prep_sb_bytes(g, ComputeDtype::BF16);
    const int64_t full = g.tail == kSbBlocks ? g.nsb : g.nsb - 1;
    const __m512i table = bf16_nibble_table();
    for (int64_t r = r0; r < r1; ++r) {
        const uint8_t *w = w_data + r * g.row_bytes;
        __m512 tot[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
        for (int64_t s = 0; s < full; ++s) gemv_sb<Int4, true>(g, w, x + s * psb, s, table, tot);
        if (full < g.nsb) gemv_sb<Int4, false>(g, w, x + full * psb, full, table, tot);
        y[r] = hsum(_mm512_add_ps(tot[0], tot[1]));
    }
}

template <bool Int4>
struct Sb : avx512::SbTileAcc {
    static constexpr int kMaxMr = kMr;
    static constexpr int kMaxNr = kNr;
    const __m512i table = bf16_nibble_table();
    template <int MR, int NR, bool Full>
    [[gnu::always_inline]] void accumulate(const IntTileArgs &a, int64_t s, __m512 (&tot)[MR][NR]) const {
        sb_accumulate<MR, NR, Int4, Full>(a, s, table, tot);
    }
};

}  // namespace

void int_matmul_bf16_avx512bf16(const IntGeom &g, const Matrix &w, const float *, const uint8_t *prepared,
                                int64_t m, int64_t, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    if (m == 1 && g.nsb > 0) {
        if (g.int4) {
            gemv<true>(g, w.data, prepared, y, r0, r1);
        } else {
            gemv<false>(g, w.data, prepared, y, r0, r1);
        }
        return;
    }
    const IntTileSet &t = g.int4 ? int_sb_tile_set<Sb<true>>() : int_sb_tile_set<Sb<false>>();
    int_matmul_drive(t, g, w.data, prepared, prep_sb_bytes(g, ComputeDtype::BF16), m, y, ldy, r0, r1);
}

}  // namespace llmrt
