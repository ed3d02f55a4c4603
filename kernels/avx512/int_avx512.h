// AVX512 (F/BW/VL/DQ) helpers for the int8/int4 kernels, shared by the avx512/, avx512_vnni/ and
// avx512_bf16/ files (include after common_avx512.h).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/int_quant.h"

namespace llmrt::avx512 {

// Decode (GEMV) reads each thread's W rows once, one row after the other: one sequential stream.
// Streaming several rows at once (to share x loads) halves the bandwidth here: interleaved streams
// a few KB apart defeat the hardware prefetcher. Even the single stream reaches only ~70% of the
// read bandwidth without help; prefetching 8 KB ahead brings int4 to ~85% (Zen 5, measured).
constexpr int64_t kGemvPrefetchBytes = 8192;

// Prefetches the `bytes` that follow p by kGemvPrefetchBytes (past the matrix end is harmless:
// prefetches do not fault).
inline void prefetch_ahead(const uint8_t *p, int64_t bytes) {
    for (int64_t off = 0; off < bytes; off += 64)
        _mm_prefetch(reinterpret_cast<const char *>(p + kGemvPrefetchBytes + off), _MM_HINT_T0);
}

// Prefill tiles read nr W rows at once. On their first pass over a block of rows (the only one
// for small batches, m <= 4) they prefetch the same bytes of the next tile's rows, `distance`
// further: without it the interleaved row streams ran at a quarter of the bandwidth (measured).
inline void prefetch_next_tile(const uint8_t *p, int64_t distance, int64_t bytes) {
    for (int64_t off = 0; off < bytes; off += 64)
        _mm_prefetch(reinterpret_cast<const char *>(p + distance + off), _MM_HINT_T0);
}

// acc += a * b. Inline asm ties acc to one register: with the intrinsic in unrolled tile loops,
// GCC 12 copies accumulators around every FMA (and spills), which cost int8 prefill ~25%
// when it happened to vpdpbusd (measured).
[[gnu::always_inline]] inline __m512 fma_acc(__m512 acc, __m512 a, __m512 b) {
    asm("vfmadd231ps %2, %1, %0" : "+v"(acc) : "v"(a), "vm"(b));
    return acc;
}

// The fp32 accumulators of the prefill tiles (IntSbTiles in int_gemm.h), for a kernel's
// superblock accumulator to derive from.
struct SbTileAcc {
    using Acc = __m512;
    static __m512 zero() { return _mm512_setzero_ps(); }
    static float sum(__m512 v) { return hsum(v); }
};

// The first n (<= 16) 32-bit lanes / n (<= 32) bytes.
inline __mmask16 lane_mask(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }
inline __mmask32 byte_mask32(int64_t n) { return static_cast<__mmask32>((uint64_t{1} << n) - 1u); }
// The first n bytes of 16, n clamped to [0, 16].
inline __mmask16 byte_mask16(int64_t n) {
    return n >= 16 ? static_cast<__mmask16>(0xffff) : n <= 0 ? 0 : static_cast<__mmask16>((1u << n) - 1u);
}

// One scale or min per block of a superblock of n blocks as 16 floats (lanes >= n are 0).
template <bool Full>
inline __m512 load_params(const uint8_t *p, int64_t n, ScaleDtype scale) {
    if (scale == ScaleDtype::F32) return Full ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(lane_mask(n), p);
    const __m256i h = Full ? _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p))
                           : _mm256_maskz_loadu_epi16(lane_mask(n), p);
    if (scale == ScaleDtype::F16) return _mm512_cvtph_ps(h);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// Per-block scale and offset (value = scale * code + offset) of superblock s of one W row.
struct SbParams {
    __m512 scale, offset;
};
template <bool Full>
inline SbParams sb_params(const IntGeom &g, const uint8_t *row, const SbLayout &l) {
    SbParams p;
    if (g.row_scale) {
        const float s = load_scale(row + l.scales, 0, g.scale);
        p.scale = _mm512_set1_ps(s);
        p.offset = _mm512_set1_ps(g.asym ? load_scale(row + l.mins, 0, g.scale) : -static_cast<float>(g.zero) * s);
        return p;
    }
    p.scale = load_params<Full>(row + l.scales, l.n, g.scale);
    p.offset = g.asym ? load_params<Full>(row + l.mins, l.n, g.scale)
                      : _mm512_mul_ps(p.scale, _mm512_set1_ps(-static_cast<float>(g.zero)));
    return p;
}

// One int8 quad-row: 64 codes, 32-bit lane j = block j's four codes.
template <bool Full>
inline __m512i load_qrow_int8(const uint8_t *p, int64_t n) {
    return Full ? _mm512_loadu_si512(p) : _mm512_maskz_loadu_epi32(lane_mask(n), p);
}

// One int4 quad-row, packed (2n bytes).
template <bool Full>
inline __m256i load_qrow_int4(const uint8_t *p, int64_t n) {
    return Full ? _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p)) : _mm256_maskz_loadu_epi8(byte_mask32(2 * n), p);
}

// Packed int4 quad-row -> 64 code bytes in code order (byte b's low nibble, then its high one):
// zero-extend bytes to words, then (w | w << 4) & 0x0f0f puts the high nibble in the high byte.
inline __m512i unpack_int4(__m256i packed) {
    const __m512i w = _mm512_cvtepu8_epi16(packed);
    return _mm512_ternarylogic_epi32(w, _mm512_slli_epi16(w, 4), _mm512_set1_epi16(0x0f0f), 0xa8);  // (a|b)&c
}

template <bool Int4, bool Full>
inline __m512i load_codes(const uint8_t *p, int64_t n) {
    if constexpr (Int4) {
        return unpack_int4(load_qrow_int4<Full>(p, n));
    } else {
        return load_qrow_int8<Full>(p, n);
    }
}

}  // namespace llmrt::avx512
