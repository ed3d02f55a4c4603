// The prefill (m > 1) loop nest shared by the int8/int4 SIMD kernels (ISA-neutral: each ISA file
// supplies what its register tile adds per superblock; decode has its own one-row loops). It
// blocks the K dimension so a tile's prepared x rows stay in L1, and the rows of W so a block of
// them stays in L2 while every x tile passes over it.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "kernels/int_quant.h"

namespace llmrt {

struct IntTileArgs {
    const IntGeom *g;
    const uint8_t *w;    // the tile's first W row
    const uint8_t *x;    // the tile's first prepared x row
    int64_t x_stride;    // bytes between prepared x rows
    int64_t psb;         // bytes of one prepared superblock
    int64_t s0, s1;      // superblocks [s0, s1) of the rows
    float *y;            // y of (first x row, first W row)
    int64_t ldy;
    bool accumulate;     // add to y (later K chunks) instead of storing
    bool first_pass;     // the first x tile over these W rows: they come from memory
};
using IntTileFn = void (*)(const IntTileArgs &);

// tiles[(mr - 1) * max_nr + (nr - 1)] computes mr x rows against nr W rows.
struct IntTileSet {
    int max_mr, max_nr;
    const IntTileFn *tiles;
};

// The table of Tile<mr, nr>::run for mr <= MR, nr <= NR, in IntTileSet's order, so edge tiles get
// fully unrolled code too. Call it only in constant expressions (constexpr locals): Tile belongs
// to a type of a kernel file's anonymous namespace (IntSbTiles<S>::Tile), and GCC 12 gives a
// template's static data member for such a type a process-wide (STB_GNU_UNIQUE) symbol, so
// tables of different files would merge.
template <template <int, int> class Tile, int NR, int... I>
constexpr std::array<IntTileFn, sizeof...(I)> int_tile_table_of(std::integer_sequence<int, I...>) {
    return {{&Tile<I / NR + 1, I % NR + 1>::run...}};
}
template <template <int, int> class Tile, int MR, int NR>
constexpr std::array<IntTileFn, MR * NR> int_tile_table() {
    return int_tile_table_of<Tile, NR>(std::make_integer_sequence<int, MR * NR>());
}

// The register tile of the int kernels over superblocks [a.s0, a.s1): MR x NR accumulators that
// S adds each superblock into, then their sums stored to y. S, a struct in the kernel file's
// anonymous namespace:
//   using Acc; static Acc zero(); static float sum(Acc); kMaxMr, kMaxNr (the largest tile);
//   template <int MR, int NR, bool Full> void accumulate(const IntTileArgs &, int64_t s,
//       Acc (&tot)[MR][NR]) const;  // Full: superblock s has all kSbBlocks blocks
// An S object is made once per tile call, so constants it holds are set up once per tile.
template <class S>
struct IntSbTiles {
    template <int MR, int NR>
    struct Tile {
        static void run(const IntTileArgs &a) {
            const S sb{};
            typename S::Acc tot[MR][NR];
#pragma GCC unroll 4
            for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
                for (int j = 0; j < NR; ++j) tot[i][j] = S::zero();
            for (int64_t s = a.s0; s < a.s1; ++s) {
                if (a.g->sb_blocks(s) == kSbBlocks) {
                    sb.template accumulate<MR, NR, true>(a, s, tot);
                } else {
                    sb.template accumulate<MR, NR, false>(a, s, tot);
                }
            }
            for (int i = 0; i < MR; ++i)
                for (int j = 0; j < NR; ++j) {
                    float *out = a.y + i * a.ldy + j;
                    const float v = S::sum(tot[i][j]);
                    *out = a.accumulate ? *out + v : v;
                }
        }
    };
};

// The tiles of IntSbTiles<S> for int_matmul_drive (a function template of S, so the tables are
// local to S's translation unit).
template <class S>
const IntTileSet &int_sb_tile_set() {
    static constexpr auto gemm = int_tile_table<IntSbTiles<S>::template Tile, S::kMaxMr, S::kMaxNr>();
    static const IntTileSet set{S::kMaxMr, S::kMaxNr, gemm.data()};
    return set;
}

// Sizes measured best for int4/int8 with m = 128 on Zen 5 (48 KB L1, 1 MB L2).
constexpr int64_t kIntXTileBytes = 40 * 1024;   // prepared x of one tile, per K chunk (L1)
constexpr int64_t kIntWBlockBytes = 512 * 1024;  // W rows of one block, per K chunk (L2)
// x rows per pass over W. Without it a long prompt's prepared x (about 10 KB per row per K chunk)
// streams from L3 for every W block: TinyLlama's 512-token prefill ran at 108 tok/s on one Zen 5
// core against 150 with blocks of 64 rows (143 with 128, 120 with 32), measured with
// `llmrt bench -p 512 --profile`. W is then read once per block of rows instead of once.
constexpr int64_t kIntMBlockRows = 64;

// The drivers are compiled into kernel files built with different ISA flags: the unnamed
// namespace gives each its own copy (an inline function would be merged into one, built with
// whichever file's flags the linker happened to keep).
namespace {

// One block of x rows against W rows [r0, r1) (m > 0, r0 < r1, g.nsb > 0).
inline void int_matmul_drive_rows(const IntTileSet &t, const IntGeom &g, const uint8_t *w_data,
                                  const uint8_t *prepared, int64_t psb, int64_t m, float *y, int64_t ldy, int64_t r0,
                                  int64_t r1) {
    IntTileArgs a;
    a.g = &g;
    a.x_stride = g.nsb * psb;
    a.psb = psb;
    a.ldy = ldy;
    const int64_t sb_chunk = std::max<int64_t>(1, kIntXTileBytes / (t.max_mr * psb));
    for (int64_t s0 = 0; s0 < g.nsb; s0 += sb_chunk) {
        a.s0 = s0;
        a.s1 = std::min(g.nsb, s0 + sb_chunk);
        a.accumulate = s0 > 0;
        const int64_t chunk_bytes = (a.s1 - a.s0) * g.sb_bytes;
        const int64_t nb = std::max<int64_t>(t.max_nr, kIntWBlockBytes / chunk_bytes / t.max_nr * t.max_nr);
        for (int64_t jb = r0; jb < r1; jb += nb) {
            const int64_t je = std::min(r1, jb + nb);
            for (int64_t i0 = 0; i0 < m; i0 += t.max_mr) {
                const int64_t mr = std::min<int64_t>(t.max_mr, m - i0);
                for (int64_t j0 = jb; j0 < je; j0 += t.max_nr) {
                    const int64_t nr = std::min<int64_t>(t.max_nr, je - j0);
                    a.w = w_data + j0 * g.row_bytes;
                    a.x = prepared + i0 * a.x_stride;
                    a.y = y + i0 * ldy + j0;
                    a.first_pass = i0 == 0;
                    t.tiles[(mr - 1) * t.max_nr + (nr - 1)](a);
                }
            }
        }
    }
}

inline void int_matmul_drive(const IntTileSet &t, const IntGeom &g, const uint8_t *w_data, const uint8_t *prepared,
                             int64_t psb, int64_t m, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    if (m <= 0 || r0 >= r1) return;
    if (g.nsb == 0) {
        for (int64_t i = 0; i < m; ++i) std::fill(y + i * ldy + r0, y + i * ldy + r1, 0.0f);
        return;
    }
    const int64_t x_stride = g.nsb * psb;
    const int64_t mb = kIntMBlockRows;
    for (int64_t ib = 0; ib < m; ib += mb)
        int_matmul_drive_rows(t, g, w_data, prepared + ib * x_stride, psb, std::min(mb, m - ib), y + ib * ldy, ldy,
                              r0, r1);
}

}  // namespace
}  // namespace llmrt
