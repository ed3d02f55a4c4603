// The nf4/fp4/fp8 matmul_rows loop nest shared by the SIMD variants (lut_kernels.h has the
// contract, lut_f32_avx512.cpp the measurements).
//
// GEMV (decode): several W rows at once, each with its own accumulator, so x is loaded once per
// block for all of them and the packed bytes stream exactly once.
// GEMM (prefill): a panel of W (kNc rows x up to kKcMax columns) is decoded on the stack and
// reused by every x row through a kMr x kNr register tile (dot_gemm.h), so the decoding cost is
// divided by m.
//
// An ISA file supplies one struct L in its anonymous namespace: the register tile's vector
// operations (the V of dot_gemm.h, whose Elem is also the element of prepared x and of the
// panel), the sizes kGemvRows, kMr, kNr, kNc, kKcMax, and its block decoders:
//   template <int R> static void gemv_lut4(const LutLayout &, const uint8_t *w, size_t stride,
//                                           const Elem *x, float *y);  // y[r] = x . W row r, r < R
//   template <QuantKind Q, int R> static void gemv_fp8(same);
//   static void decode_lut4_row(const LutLayout &, const uint8_t *row, int64_t b0, int64_t b1,
//                               Elem *out);  // blocks [b0, b1) of the row, 32 values each
//   template <QuantKind Q> static void decode_fp8_row(same).
// As in dot_gemm.h, everything here is a template on L so that it stays in L's translation unit.
#pragma once

#include <xmmintrin.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "kernels/dot_gemm.h"
#include "kernels/lut_quant.h"
#include "kernels/matrix.h"

namespace llmrt {

// Prefetches the next group of rows (contiguous after the current one) while the current rows
// are processed, spread evenly over `steps` loop iterations. Packed rows are short (a 2048-column
// nf4 row is 18 cache lines), too short for the hardware prefetcher to ramp up on each stream.
template <class L>
class LutNextRows {
public:
    LutNextRows(const uint8_t *next, size_t bytes, int64_t steps)
        : p_(next), end_(next + bytes), step_(((bytes + 63) / 64 + steps - 1) / steps * 64) {}
    void step() {
        const uint8_t *stop = std::min(p_ + step_, end_);
        for (; p_ < stop; p_ += 64) _mm_prefetch(reinterpret_cast<const char *>(p_), _MM_HINT_T0);
    }

private:
    const uint8_t *p_, *end_;
    size_t step_;
};

template <class L>
using LutGemvFn = void (*)(const LutLayout &, const uint8_t *, size_t, const typename L::Elem *, float *);
template <class L>
using LutDecodeRowFn = void (*)(const LutLayout &, const uint8_t *, int64_t, int64_t, typename L::Elem *);

template <class L, int... I>
constexpr std::array<LutGemvFn<L>, sizeof...(I)> lut4_gemv_table(std::integer_sequence<int, I...>) {
    return {{&L::template gemv_lut4<I + 1>...}};
}
template <class L, QuantKind Q, int... I>
constexpr std::array<LutGemvFn<L>, sizeof...(I)> fp8_gemv_table(std::integer_sequence<int, I...>) {
    return {{&L::template gemv_fp8<Q, I + 1>...}};
}

// [rows - 1] = the kernel for that many rows, so the row tail gets unrolled code too.
template <class L>
const std::array<LutGemvFn<L>, L::kGemvRows> &lut_gemv_fns(QuantKind kind) {
    static constexpr auto lut4 = lut4_gemv_table<L>(std::make_integer_sequence<int, L::kGemvRows>());
    static constexpr auto e4m3 = fp8_gemv_table<L, QuantKind::FP8_E4M3>(std::make_integer_sequence<int, L::kGemvRows>());
    static constexpr auto e5m2 = fp8_gemv_table<L, QuantKind::FP8_E5M2>(std::make_integer_sequence<int, L::kGemvRows>());
    if (kind == QuantKind::FP8_E4M3) return e4m3;
    if (kind == QuantKind::FP8_E5M2) return e5m2;
    return lut4;
}

template <class L>
void lut_gemv(const LutLayout &l, const Matrix &w, const typename L::Elem *x, float *y, int64_t r0, int64_t r1) {
    const auto &fns = lut_gemv_fns<L>(l.kind);
    const uint8_t *rows = w.data + static_cast<size_t>(r0) * l.row_bytes;
    int64_t r = r0;
    for (; r + L::kGemvRows <= r1; r += L::kGemvRows, rows += L::kGemvRows * l.row_bytes)
        fns[L::kGemvRows - 1](l, rows, l.row_bytes, x, y + r);
    if (r < r1) fns[r1 - r - 1](l, rows, l.row_bytes, x, y + r);
}

template <class L>
LutDecodeRowFn<L> lut_decode_fn(QuantKind kind) {
    if (kind == QuantKind::FP8_E4M3) return &L::template decode_fp8_row<QuantKind::FP8_E4M3>;
    if (kind == QuantKind::FP8_E5M2) return &L::template decode_fp8_row<QuantKind::FP8_E5M2>;
    return &L::decode_lut4_row;
}

template <class L>
void lut_gemm(const LutLayout &l, const Matrix &w, const typename L::Elem *x, int64_t ldx, int64_t m, float *y,
              int64_t ldy, int64_t r0, int64_t r1) {
    static constexpr auto tiles = dot_tile_table<L, L::kMr, L::kNr>();
    alignas(64) typename L::Elem panel[L::kNc * L::kKcMax];
    const LutDecodeRowFn<L> decode = lut_decode_fn<L>(l.kind);
    // A multiple of 64 like padded_cols, so a K block is whole blocks of codes.
    const int64_t kc_max = dot_k_block<L>(l.padded_cols, L::kKcMax, kLutColAlign);
    for (int64_t k0 = 0; k0 < l.padded_cols; k0 += kc_max) {
        const int64_t kc = std::min(kc_max, l.padded_cols - k0);
        for (int64_t n0 = r0; n0 < r1; n0 += L::kNc) {
            const int64_t nc = std::min(L::kNc, r1 - n0);
            for (int64_t j = 0; j < nc; ++j)
                decode(l, w.data + static_cast<size_t>(n0 + j) * l.row_bytes, k0 / 32, (k0 + kc) / 32, panel + j * kc);
            for (int64_t i0 = 0; i0 < m; i0 += L::kMr) {
                const int64_t mr = std::min<int64_t>(L::kMr, m - i0);
                for (int64_t j0 = 0; j0 < nc; j0 += L::kNr) {
                    const int64_t nr = std::min<int64_t>(L::kNr, nc - j0);
                    tiles[(mr - 1) * L::kNr + (nr - 1)](x + i0 * ldx + k0, ldx, panel + j0 * kc, kc, kc,
                                                        y + i0 * ldy + n0 + j0, ldy, k0 > 0);
                }
            }
        }
    }
}

// x: rows of at least padded_cols elements (the prepared x, or x itself when prepare wrote none).
template <class L>
void lut_matmul_drive(const LutLayout &l, const Matrix &w, const typename L::Elem *x, int64_t m, int64_t ldx,
                      float *y, int64_t ldy, int64_t r0, int64_t r1) {
    if (m <= 0 || r0 >= r1) return;
    if (l.cols == 0) {
        for (int64_t i = 0; i < m; ++i) std::fill(y + i * ldy + r0, y + i * ldy + r1, 0.0f);
        return;
    }
    if (m == 1) {
        lut_gemv<L>(l, w, x, y, r0, r1);
    } else {
        lut_gemm<L>(l, w, x, ldx, m, y, ldy, r0, r1);
    }
}

}  // namespace llmrt
