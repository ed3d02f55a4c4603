// The F32 matmul_rows loop nest shared by the SIMD variants (f32_kernels.h has the contract). An
// ISA file supplies one struct K in its anonymous namespace: the register tile's vector
// operations (the V of dot_gemm.h) plus its sizes:
//   kMr, kNr: the GEMM register tile (x rows by W rows);
//   kGemvRows: W rows streamed at once in GEMV (m == 1), each with its own accumulator;
//   kKcTarget: the K block, so the x tile stays in L1;
//   kWBlockBytes: the W rows of one block, kept in L2 while every x tile passes over them.
#pragma once

#include <algorithm>
#include <cstdint>

#include "kernels/dot_gemm.h"
#include "kernels/matrix.h"

namespace llmrt {

template <class K>
void f32_gemv(const Matrix &w, const float *x, float *y, int64_t r0, int64_t r1) {
    static constexpr auto tiles = dot_tile_table<K, 1, K::kGemvRows>();
    const int64_t k = w.cols;
    int64_t r = r0;
    for (; r + K::kGemvRows <= r1; r += K::kGemvRows)
        tiles[K::kGemvRows - 1](x, 0, reinterpret_cast<const float *>(w.row(r)), k, k, y + r, 0, false);
    if (r < r1) tiles[r1 - r - 1](x, 0, reinterpret_cast<const float *>(w.row(r)), k, k, y + r, 0, false);
}

template <class K>
void f32_gemm(const Matrix &w, const float *x, int64_t m, int64_t ldx, float *y, int64_t ldy, int64_t r0,
              int64_t r1) {
    static constexpr auto tiles = dot_tile_table<K, K::kMr, K::kNr>();
    const int64_t k = w.cols;
    const int64_t kc_max = dot_k_block<K>(k, K::kKcTarget, K::kStep);
    const int64_t nc = std::max<int64_t>(K::kNr, K::kWBlockBytes / (kc_max * 4) / K::kNr * K::kNr);
    for (int64_t k0 = 0; k0 < k; k0 += kc_max) {
        const int64_t kc = std::min(kc_max, k - k0);
        const bool accumulate = k0 > 0;
        for (int64_t n0 = r0; n0 < r1; n0 += nc) {
            const int64_t n1 = std::min(r1, n0 + nc);
            for (int64_t i0 = 0; i0 < m; i0 += K::kMr) {
                const int64_t mr = std::min<int64_t>(K::kMr, m - i0);
                for (int64_t j0 = n0; j0 < n1; j0 += K::kNr) {
                    const int64_t nr = std::min<int64_t>(K::kNr, n1 - j0);
                    tiles[(mr - 1) * K::kNr + (nr - 1)](x + i0 * ldx + k0, ldx,
                                                        reinterpret_cast<const float *>(w.row(j0)) + k0, k, kc,
                                                        y + i0 * ldy + j0, ldy, accumulate);
                }
            }
        }
    }
}

template <class K>
void f32_matmul_drive(const Matrix &w, const float *x, int64_t m, int64_t ldx, float *y, int64_t ldy, int64_t r0,
                      int64_t r1) {
    if (m <= 0 || r0 >= r1) return;
    if (w.cols == 0) {
        for (int64_t i = 0; i < m; ++i) std::fill(y + i * ldy + r0, y + i * ldy + r1, 0.0f);
        return;
    }
    if (m == 1) {
        f32_gemv<K>(w, x, y, r0, r1);
    } else {
        f32_gemm<K>(w, x, m, ldx, y, ldy, r0, r1);
    }
}

}  // namespace llmrt
