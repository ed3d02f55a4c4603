// The table-lookup family of weight types: nf4, fp4 (E2M1), fp8 E4M3 and E5M2, symmetric, one
// scale per group. Value tables, the row layout, pack/unpack, and the bf16 rounding that BF16
// compute uses. The matmul kernels are in lut_kernels.h.
//
// Row layout (row_bytes is a function of cols only; a row starts 32-byte aligned when the
// matrix does, so no 16- or 32-byte code load splits a cache line):
//   codes   [0, code_bytes): cols rounded up to 64 values (padded_cols), padding = the zero code.
//           4-bit kinds: blocks of 32 values in 16 bytes; byte j of a block holds value j in its
//           low nibble and value 16 + j in its high nibble, so one zero-extension of 16 bytes
//           gives 16 table indices and a shift by 4 gives the other 16.
//           fp8 kinds: one OCP byte per value, in order.
//   scales  [code_bytes, + n_groups * 4 or 2): fp32, or bf16 (the high half of an fp32).
//   zeros   up to a multiple of 32 bytes.
// Groups cover [g * group, (g + 1) * group) of the real columns; the last one may be short.
// Value = code value * scale, with scale = amax / max code value of the group.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/quant_format.h"

namespace llmrt {

constexpr int64_t kLutColAlign = 64;
constexpr int64_t kLutRowAlign = 32;

struct LutLayout {
    QuantKind kind = QuantKind::NF4;
    ScaleDtype scale = ScaleDtype::F32;  // how the row's scales are stored
    int64_t cols = 0;
    int64_t padded_cols = 0;  // cols rounded up to kLutColAlign: what kernels read of x and codes
    int64_t group = 1;        // values per scale (the whole row for group_size -1)
    int64_t n_groups = 0;
    size_t code_bytes = 0;    // also where the scales start
    size_t row_bytes = 0;
};

// format.kind must be one of this family's kinds.
LutLayout lut_layout(const QuantFormat &format, int64_t cols);
bool lut_is_family(QuantKind kind);
bool lut_is_4bit(QuantKind kind);

// Value of every code: 16 entries for nf4/fp4, 256 for fp8 (OCP: E4M3 0x7f/0xff are NaN, E5M2
// has inf and NaN). 64-byte aligned, so the 16-entry tables load straight into a register.
const float *lut_code_values(QuantKind kind);
// Largest finite code value: the scale maps a group's amax onto it.
float lut_max_value(QuantKind kind);
// The code of value 0 (nf4: 7; the fp kinds: +0).
uint8_t lut_zero_code(QuantKind kind);
// The code nearest to v (v already divided by the scale): ties to even (the even code, which for
// the fp kinds is the even mantissa), beyond the largest value saturates, NaN gives the zero code.
// Never returns a NaN or inf code.
uint8_t lut_encode(QuantKind kind, float v);

uint8_t lut_code_at(const LutLayout &layout, const uint8_t *row, int64_t col);

void lut_pack_row(const LutLayout &layout, const float *src, uint8_t *dst);
// Columns [c0, c0 + dst.cols) of src's row (c0 a multiple of src.group) as the row `dst`
// describes: codes and scales copied.
void lut_slice_row(const LutLayout &src, const uint8_t *row, int64_t c0, const LutLayout &dst, uint8_t *out);
// out[i] = value of column c0 + i, for i in [0, n), c0 + n <= cols.
void lut_unpack_range(const LutLayout &layout, const uint8_t *row, int64_t c0, int64_t n, float *out);

// fp32 -> bf16 exactly as VCVTNEPS2BF16 does it: round to nearest even, denormals to signed
// zero, NaN stays (quiet) NaN.
uint16_t lut_bf16_round(float f);
float lut_bf16_to_f32(uint16_t h);

// Helpers the kernels call in their loops, so they are inline; the unnamed namespace gives each
// ISA's translation unit its own copy (an inline function compiled with AVX512 flags must not be
// the one the linker keeps for the scalar code).
namespace {

inline float lut_scale_at(const LutLayout &l, const uint8_t *row, int64_t group) {
    return load_scale(row + l.code_bytes, group, l.scale);
}

inline int64_t lut_group_of(const LutLayout &l, int64_t col) {  // clamped to the last group
    const int64_t g = col / l.group;
    return g < l.n_groups ? g : l.n_groups - 1;
}

// 32-value blocks [b, b1) whose low halves all use group g_lo and high halves g_hi (they differ
// only where group % 32 == 16 splits a block).
struct LutBlockRun {
    int64_t b1, g_lo, g_hi;
};
// 16-value chunks [c, c1), all in group g.
struct LutChunkRun {
    int64_t c1, g;
};
// 64-value units [u, u1) (two 4-bit blocks) in which chunk q (values [64u + 16q, +16)) uses
// group g[q] in every unit; uniform: one group for all four chunks.
struct LutUnitRun {
    int64_t u1;
    int64_t g[4];
    bool uniform;
};

// The kernels set up a group's scale once per run of blocks that share it.
// LutRuns finds the runs of one row from left to right. Columns past the last real one belong to the
// last group. Walks group boundaries instead of dividing: an integer division per run would
// cost as much as decoding the run's blocks when groups are small.
class LutRuns {
public:
    LutRuns(const LutLayout &l, int64_t first_col) : l_(l), g_(lut_group_of(l, first_col)), next_((g_ + 1) * l.group) {}

    LutBlockRun block_run(int64_t b, int64_t b_end) {
        const int64_t g_lo = group_of(b * 32), g_hi = group_of(b * 32 + 16);
        if (g_lo != g_hi) return {b + 1, g_lo, g_hi};
        return {end_of_group(g_lo, 32, b_end), g_lo, g_hi};
    }
    LutChunkRun chunk_run(int64_t c, int64_t c_end) {
        const int64_t g = group_of(c * 16);
        return {end_of_group(g, 16, c_end), g};
    }
    LutUnitRun unit_run(int64_t u, int64_t u_end) {
        LutUnitRun run;
        for (int q = 0; q < 4; ++q) run.g[q] = group_of(u * 64 + q * 16);
        run.uniform = run.g[0] == run.g[3];  // groups only grow along the row
        run.u1 = run.uniform ? end_of_group(run.g[0], 64, u_end) : u + 1;
        return run;
    }

private:
    // col must not decrease from one call to the next.
    int64_t group_of(int64_t col) {
        while (col >= next_ && g_ < l_.n_groups - 1) {
            ++g_;
            next_ += l_.group;
        }
        return g_;
    }
    // First item (of `size` values) not entirely in group g (the current one), at most end.
    int64_t end_of_group(int64_t g, int64_t size, int64_t end) const {
        if (g == l_.n_groups - 1) return end;
        const int64_t e = next_ / size;
        return e < end ? e : end;
    }

    const LutLayout &l_;
    int64_t g_, next_;  // group g_ covers the columns below next_
};

}  // namespace

}  // namespace llmrt
