// F32 matmul with AVX2 + FMA. Same structure as the AVX512 kernel (one accumulator per
// (x row, W row) pair, reduced at the end of a K block), sized for 16 ymm registers.
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

#include "kernels/avx2/common_avx2.h"
#include "kernels/f32_kernels.h"

namespace llmrt {
namespace {

using avx2::hsum;
using avx2::tail_mask;

constexpr int kLanes = 8;
// GEMM register tile: 3 x rows by 4 W rows = 12 accumulators + 3 x vectors + 1 W vector (of 16).
constexpr int kMr = 3;
constexpr int kNr = 4;
// GEMV: 8 W rows at once (8 accumulators + x + W of 16 registers), as in the AVX512 kernel.
constexpr int kGemvRows = 8;
// K block and W block, as in the AVX512 kernel.
constexpr int64_t kKcTarget = 1024;
constexpr int64_t kWBlockBytes = 256 * 1024;

const float *row_f32(const Matrix &w, int64_t r) { return reinterpret_cast<const float *>(w.row(r)); }

template <int MR, int NR>
void tile(const float *x, int64_t ldx, const float *w, int64_t ldw, int64_t kc, float *y,
          int64_t ldy, bool accumulate) {
    __m256 acc[MR][NR];
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) acc[i][j] = _mm256_setzero_ps();

    int64_t k = 0;
    for (; k + kLanes <= kc; k += kLanes) {
        __m256 xv[MR];
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) xv[i] = _mm256_loadu_ps(x + i * ldx + k);
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) {
            const __m256 wv = _mm256_loadu_ps(w + j * ldw + k);
#pragma GCC unroll 8
            for (int i = 0; i < MR; ++i) acc[i][j] = _mm256_fmadd_ps(xv[i], wv, acc[i][j]);
        }
    }
    if (k < kc) {
        const __m256i mask = tail_mask(kc - k);
        __m256 xv[MR];
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i) xv[i] = _mm256_maskload_ps(x + i * ldx + k, mask);
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) {
            const __m256 wv = _mm256_maskload_ps(w + j * ldw + k, mask);
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

using TileFn = void (*)(const float *, int64_t, const float *, int64_t, int64_t, float *, int64_t,
                        bool);

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

void f32_matmul_rows_avx2(const Matrix &w, const float *x, int64_t m, int64_t ldx, float *y,
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
