// The register tile shared by the f32 and lut GEMM/GEMV drivers (f32_gemm.h, lut_gemm.h): both
// operands are K-contiguous (x rows and W rows, or rows of a decoded W panel), so the tile keeps
// one vector accumulator per (x row, W row) pair and reduces it horizontally at the end of a K
// block. This needs no packing of W, which matters for decode where W is read exactly once.
//
// An ISA file supplies the vector operations as a struct V in its anonymous namespace:
//   using Elem (x and W element), Vec (a vector of them), Acc (an fp32 accumulator vector);
//   kStep (elements per Vec); static Acc zero(); static Vec load_x(const Elem *), load_w(const
//   Elem *); static Acc fma(Acc acc, Vec x, Vec w) (acc + x . w); static float sum(Acc);
//   kMaskedTail: K blocks may end in a partial vector, read by Vec load_tail(const Elem *, Mask)
//   with a Mask tail_mask(int64_t n); without it, K blocks are whole vectors.
// Every template here is instantiated with V, so each ISA's translation unit gets its own copy,
// compiled with its own flags: a shared one could hand AVX512 code to an AVX2-only CPU.
#pragma once

#include <array>
#include <cstdint>
#include <utility>

namespace llmrt {

// y[i * ldy + j] (+)= dot(x_i[0, kc), w_j[0, kc)) for i < MR, j < NR.
template <class V, int MR, int NR>
struct DotTile {
    using Elem = typename V::Elem;
    using Vec = typename V::Vec;
    using Acc = typename V::Acc;

    static void run(const Elem *x, int64_t ldx, const Elem *w, int64_t ldw, int64_t kc, float *y, int64_t ldy,
                    bool accumulate) {
        Acc acc[MR][NR];
#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
            for (int j = 0; j < NR; ++j) acc[i][j] = V::zero();

        int64_t k = 0;
        for (; V::kMaskedTail ? k + V::kStep <= kc : k < kc; k += V::kStep) {
            Vec xv[MR];
#pragma GCC unroll 8
            for (int i = 0; i < MR; ++i) xv[i] = V::load_x(x + i * ldx + k);
#pragma GCC unroll 8
            for (int j = 0; j < NR; ++j) {
                const Vec wv = V::load_w(w + j * ldw + k);
#pragma GCC unroll 8
                for (int i = 0; i < MR; ++i) acc[i][j] = V::fma(acc[i][j], xv[i], wv);
            }
        }
        if constexpr (V::kMaskedTail) {
            if (k < kc) {
                // Masked loads do not touch (or fault on) the lanes past the end of the row.
                const auto mask = V::tail_mask(kc - k);
                Vec xv[MR];
#pragma GCC unroll 8
                for (int i = 0; i < MR; ++i) xv[i] = V::load_tail(x + i * ldx + k, mask);
#pragma GCC unroll 8
                for (int j = 0; j < NR; ++j) {
                    const Vec wv = V::load_tail(w + j * ldw + k, mask);
#pragma GCC unroll 8
                    for (int i = 0; i < MR; ++i) acc[i][j] = V::fma(acc[i][j], xv[i], wv);
                }
            }
        }

#pragma GCC unroll 8
        for (int i = 0; i < MR; ++i)
#pragma GCC unroll 8
            for (int j = 0; j < NR; ++j) {
                const float s = V::sum(acc[i][j]);
                float *out = y + i * ldy + j;
                *out = accumulate ? *out + s : s;
            }
    }
};

template <class V>
using DotTileFn = void (*)(const typename V::Elem *, int64_t, const typename V::Elem *, int64_t, int64_t, float *,
                           int64_t, bool);

// [(mr - 1) * NR + (nr - 1)] = DotTile<V, mr, nr>::run for mr <= MR, nr <= NR, so edge tiles get
// fully unrolled code too. Keep the result in a static constexpr local of a function template
// instantiated with V (see int_tile_table in int_gemm.h for why not in a static data member).
template <class V, int NR, int... I>
constexpr std::array<DotTileFn<V>, sizeof...(I)> dot_tile_table_of(std::integer_sequence<int, I...>) {
    return {{&DotTile<V, I / NR + 1, I % NR + 1>::run...}};
}
template <class V, int MR, int NR>
constexpr std::array<DotTileFn<V>, MR * NR> dot_tile_table() {
    return dot_tile_table_of<V, NR>(std::make_integer_sequence<int, MR * NR>());
}

// K block length for k columns: at most about `target`, a multiple of `align`, blocks of (nearly)
// equal size. (A template on V only to stay in V's translation unit, as above.)
template <class V>
constexpr int64_t dot_k_block(int64_t k, int64_t target, int64_t align) {
    const int64_t n_blocks = (k + target - 1) / target;
    const int64_t kc = (k + n_blocks - 1) / n_blocks;
    return (kc + align - 1) / align * align;
}

}  // namespace llmrt
