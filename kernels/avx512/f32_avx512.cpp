// F32 matmul with AVX512. Both operands are K-contiguous (x rows and W rows), so the register tile
// keeps one vector accumulator per (x row, W row) pair and reduces it horizontally at the end of a
// K block. This needs no packing of W, which matters for decode where W is read exactly once.
//
// Measured on a 2-core AVX512 Zen 5 VM, W 2048 x 5632 (46 MB, 8 copies in rotation so every call
// reads DRAM): GEMV 40 GB/s on 1 thread and 45-50 GB/s on 2 (best 53), against 40 and 45-47 GB/s
// from measure_read_bandwidth_gbs. GEMM m=128, K=2048: 335 GFLOP/s (N=2048), 306-325 (N=5632).
#include "kernels/avx512/common_avx512.h"  // first: sets a diagnostic pragma

#include <algorithm>
#include <array>
#include <utility>

#include "kernels/f32_kernels.h"

namespace llmrt {
namespace {

using avx512::hsum;
using avx512::tail_mask;

constexpr int kLanes = 16;
// GEMM register tile: 4 x rows by 6 W rows = 24 accumulators + 4 x vectors + 1 W vector (of 32).
constexpr int kMr = 4;
constexpr int kNr = 6;
// GEMV: W rows streamed at once. Eight independent rows (one accumulator each) keep enough loads
// and FMAs in flight, and x is loaded once per 8 W vectors.
constexpr int kGemvRows = 8;
// K block of about kKcTarget floats: the x tile (kMr rows, 16 KB) stays in L1 while a block of
// W rows (kWBlockBytes) stays in L2 and is reused by every x tile.
constexpr int64_t kKcTarget = 1024;
constexpr int64_t kWBlockBytes = 256 * 1024;

const float *row_f32(const Matrix &w, int64_t r) { return reinterpret_cast<const float *>(w.row(r)); }

// y[i * ldy + j] (+)= dot(x_i[0, kc), w_j[0, kc)) for i < MR, j < NR.
template <int MR, int NR>
void tile(const float *x, int64_t ldx, const float *w, int64_t ldw, int64_t kc, float *y,
          int64_t ldy, bool accumulate) {
    __m512 acc[MR][NR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_setzero_ps();

    int64_t k = 0;
    for (; k + kLanes <= kc; k += kLanes) {
        __m512 xv[MR];
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) xv[i] = _mm512_loadu_ps(x + i * ldx + k);
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) {
            const __m512 wv = _mm512_loadu_ps(w + j * ldw + k);
#pragma GCC unroll 8
            for (int i = 0; i < MR; ++i) acc[i][j] = _mm512_fmadd_ps(xv[i], wv, acc[i][j]);
        }
    }
    if (k < kc) {
        // Masked loads do not touch (or fault on) the lanes past the end of the row.
        const __mmask16 mask = tail_mask(kc - k);
        __m512 xv[MR];
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) xv[i] = _mm512_maskz_loadu_ps(mask, x + i * ldx + k);
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) {
            const __m512 wv = _mm512_maskz_loadu_ps(mask, w + j * ldw + k);
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

using TileFn = void (*)(const float *, int64_t, const float *, int64_t, int64_t, float *, int64_t,
                        bool);

// kTiles[mr - 1][nr - 1] = tile<mr, nr>, so edge tiles get fully unrolled code too.
template <int MR, int... J>
constexpr std::array<TileFn, sizeof...(J)> tiles_with_rows(std::integer_sequence<int, J...>) {
    return {{&tile<MR, J + 1>...}};
}
template <int... I>
constexpr std::array<std::array<TileFn, kNr>, sizeof...(I)> all_tiles(std::integer_sequence<int, I...>) {
    return {{tiles_with_rows<I + 1>(std::make_integer_sequence<int, kNr>())...}};
}
constexpr auto kTiles = all_tiles(std::make_integer_sequence<int, kMr>());

constexpr std::array<TileFn, kGemvRows> kGemvTiles =
    tiles_with_rows<1>(std::make_integer_sequence<int, kGemvRows>());

void gemv(const Matrix &w, const float *x, float *y, int64_t r0, int64_t r1) {
    const int64_t k = w.cols;
    int64_t r = r0;
    for (; r + kGemvRows <= r1; r += kGemvRows)
        kGemvTiles[kGemvRows - 1](x, 0, row_f32(w, r), k, k, y + r, 0, false);
    if (r < r1) kGemvTiles[r1 - r - 1](x, 0, row_f32(w, r), k, k, y + r, 0, false);
}

// K block length: about kKcTarget, multiple of the vector width, blocks of equal size.
int64_t k_block(int64_t k) {
    const int64_t n_blocks = (k + kKcTarget - 1) / kKcTarget;
    const int64_t kc = (k + n_blocks - 1) / n_blocks;
    return (kc + kLanes - 1) / kLanes * kLanes;
}

void gemm(const Matrix &w, const float *x, int64_t m, int64_t ldx, float *y, int64_t ldy,
          int64_t r0, int64_t r1) {
    const int64_t k = w.cols;
    const int64_t kc_max = k_block(k);
    const int64_t nc = std::max<int64_t>(kNr, kWBlockBytes / (kc_max * 4) / kNr * kNr);
    for (int64_t k0 = 0; k0 < k; k0 += kc_max) {
        const int64_t kc = std::min(kc_max, k - k0);
        const bool accumulate = k0 > 0;
        for (int64_t n0 = r0; n0 < r1; n0 += nc) {
            const int64_t n1 = std::min(r1, n0 + nc);
            for (int64_t i0 = 0; i0 < m; i0 += kMr) {
                const int64_t mr = std::min<int64_t>(kMr, m - i0);
                for (int64_t j0 = n0; j0 < n1; j0 += kNr) {
                    const int64_t nr = std::min<int64_t>(kNr, n1 - j0);
                    kTiles[mr - 1][nr - 1](x + i0 * ldx + k0, ldx, row_f32(w, j0) + k0, k, kc,
                                           y + i0 * ldy + j0, ldy, accumulate);
                }
            }
        }
    }
}

}  // namespace

void f32_matmul_rows_avx512(const Matrix &w, const float *x, int64_t m, int64_t ldx, float *y,
                            int64_t ldy, int64_t r0, int64_t r1) {
    if (m <= 0 || r0 >= r1) return;
    if (w.cols == 0) {
        for (int64_t i = 0; i < m; ++i) std::fill(y + i * ldy + r0, y + i * ldy + r1, 0.0f);
        return;
    }
    if (m == 1) {
        gemv(w, x, y, r0, r1);
    } else {
        gemm(w, x, m, ldx, y, ldy, r0, r1);
    }
}

}  // namespace llmrt
