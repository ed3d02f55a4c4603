// The int8/int4 weight types (symmetric or asymmetric, per group or per row): their row layout,
// the activations prepare() lays out for each compute type, and the kernels per ISA. Shared by
// weight_int.cpp (the descriptors), int_quant.cpp (geometry, pack/unpack, reference prepare) and
// the kernel files in ref/, avx2/, avx512/, avx512_vnni/ and avx512_bf16/.
//
// ROW LAYOUT. A row of `cols` values is cut into blocks of `block` codes: the quantization
// groups, or, when one group covers the whole row (group size -1, or >= cols), blocks of 32 that
// share the row's scale. Every 16 consecutive blocks form a superblock (the last may hold fewer,
// n <= 16). A row is
//     [the superblocks' codes][scales: one per block, or one for the row][mins: likewise, asym only]
// A superblock's codes are block / 4 quad-rows; quad-row q holds codes 4q..4q+3 of each of its n
// blocks: block j's four codes are bytes 4j..4j+3 (int8), or bytes 2j, 2j+1 (int4: byte 2j+h
// holds code 4q+2h in its low nibble and code 4q+2h+1 in its high nibble). So one 64-byte (int8)
// or 32-byte (int4) load holds the same four positions of 16 blocks: vpdpbusd sums every block in
// its own 32-bit lane, and per-block scales are applied once per superblock with a vector multiply
// instead of once per block. Keeping the scales out of the superblocks keeps every superblock's
// codes on the alignment of the row (2-byte scales between them would split each 64-byte load
// across two cache lines). A partial last superblock is packed just as densely (n blocks per
// quad-row), so no storage is wasted on it; codes past `cols` in the last block are zero and never
// affect results (the prepared activations are zero there). Rows follow each other with no padding.
// VALUES. Codes are unsigned: value = scale * code + min (asym, code in [0, 15] or [0, 255]),
// value = scale * (code - zero) (sym, zero = 8 for int4, 128 for int8), which holds llama.cpp's
// Q4_0 ((q - 8) * d), Q4_1 (q * d + m) and Q8_0 (q * d) exactly. Kernels compute every group as
// scale * sum(code * x) + offset * sum(x), offset = min or -zero * scale, so sym and asym share
// one code path and vpdpbusd can multiply unsigned codes by signed int8 activations.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "core/float16.h"
#include "kernels/matrix.h"
#include "kernels/quant_format.h"

namespace llmrt {

// Blocks per superblock: one per 32-bit lane of a 512-bit vector.
constexpr int64_t kSbBlocks = 16;
// Largest group the kernels accept: int32 lanes then cannot overflow (G/4 quads of at most
// 4 * 255 * 127 each).
constexpr int64_t kMaxIntGroup = 16384;
// Block length used for whole-row groups (and the activation quantization block for them).
constexpr int64_t kRowBlock32 = 32;

struct IntGeom {
    bool int4 = true, asym = false;
    ScaleDtype scale = ScaleDtype::F32;  // how scales and mins are stored
    bool row_scale = false;   // one scale (and min) for the whole row, stored after the codes
    int64_t cols = 0;
    int64_t block = 32;       // codes per block
    int64_t quads = 8;        // block / 4: quad-rows per superblock
    int64_t nblocks = 0;
    int64_t nsb = 0;          // superblocks
    int64_t tail = 0;         // blocks in the last superblock (1..16), 0 for an empty row
    int64_t param_bytes = 4;  // bytes of one scale or min
    int64_t nparams = 1;      // 1 (scale) or 2 (scale, min)
    int64_t block_qbytes = 2; // bytes of one block in one quad-row: 2 (int4) or 4 (int8)
    int64_t sb_code_bytes = 0; // the codes of a full superblock
    int64_t code_bytes = 0;   // the codes of the whole row (where its scales start)
    int64_t n_row_params = 0; // scales in the row: nblocks, or 1 for row_scale
    int64_t sb_bytes = 0;     // a full superblock's share of the row: codes and its params
    int64_t row_bytes = 0;
    int zero = 8;             // sym: the code of value 0
    int qmax = 15;            // largest code
    float act_amax = 0.0f;    // Int8 compute: how x is quantized (Matrix::act_amax)

    int64_t sb_blocks(int64_t s) const { return s + 1 == nsb ? tail : kSbBlocks; }
    // Blocks [0, nblocks) with values in [b * block, min(cols, (b + 1) * block)).
    int64_t block_len(int64_t b) const {
        const int64_t end = (b + 1) * block < cols ? (b + 1) * block : cols;
        return end - b * block;
    }
};

// The geometry of a row of `cols` values of an int8/int4 format (format.kind Int8 or Int4).
IntGeom int_geom(const QuantFormat &format, int64_t cols);

// Where one superblock's parts are: byte offsets within a packed row.
struct SbLayout {
    int64_t scales;      // n values (the row's single value when row_scale)
    int64_t mins;        // asym only
    int64_t codes;       // quads quad-rows of qrow_bytes bytes
    int64_t n;           // blocks in this superblock
    int64_t qrow_bytes;  // n * block_qbytes
};

inline SbLayout sb_layout(const IntGeom &g, int64_t s) {
    SbLayout l;
    l.n = g.sb_blocks(s);
    l.qrow_bytes = l.n * g.block_qbytes;
    l.codes = s * g.sb_code_bytes;
    const int64_t first = g.row_scale ? 0 : s * kSbBlocks;  // index of this superblock's first param
    l.scales = g.code_bytes + first * g.param_bytes;
    l.mins = l.scales + g.n_row_params * g.param_bytes;
    return l;
}

// ---- scalar helpers ----

inline float bits_to_f32(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}
inline uint32_t f32_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}
inline float round_to_bf16(float f) { return bf16_to_f32(f32_to_bf16(f)); }

// Scale and min of block b (the row's when row_scale). Min is 0 for sym formats.
struct BlockParams {
    float scale, min;
};
BlockParams block_params(const IntGeom &g, const uint8_t *row, int64_t b);
// Writes block b's `g.block` codes (values past the row's end must be 0).
void put_block_codes(const IntGeom &g, uint8_t *row, int64_t b, const uint8_t *codes);
void get_block_codes(const IntGeom &g, const uint8_t *row, int64_t b, uint8_t *codes);
// Writes the parameters of block b (whole-row layouts: b is ignored).
void put_block_params(const IntGeom &g, uint8_t *row, int64_t b, float scale, float min);

// Blocks of src's row from column c0 (a multiple of src.block) as the row `dst` describes
// (dst.cols columns of the same format): codes and parameters copied.
void int_slice_row(const IntGeom &src, const uint8_t *row, int64_t c0, const IntGeom &dst, uint8_t *out);

// value of a code, exactly as unpack_row computes it (two roundings for asym, like llama.cpp).
inline float code_value(const IntGeom &g, int code, BlockParams p) {
    if (g.asym) return p.scale * static_cast<float>(code) + p.min;
    return p.scale * static_cast<float>(code - g.zero);
}

// Round to nearest, one group at a time, as int_pack_row does it: the group's parameters (rounded
// as stored) for its n values, then each value's code. Calibrated quantizers (GPTQ) reuse them.
BlockParams int_group_params(const IntGeom &g, const float *x, int64_t n);
uint8_t int_quantize_code(const IntGeom &g, float v, BlockParams p);

void int_pack_row(const IntGeom &g, const float *src, uint8_t *dst);
void int_unpack_row(const IntGeom &g, const uint8_t *row, float *out);

// ---- activations for the kernels ----
//
// prepare() writes, for each row of x and each superblock s, at x_row + s * prep_sb_bytes:
//   Int8: [dx[16] f32][dx * sum(xq) [16] f32][quads x 64 int8 xq]     (xq = round(x / dx))
//   F32:  [sum(x)[16] f32][quads x 64 f32 x]
//   BF16: [sum(bf16(x))[16] f32][quads x 64 bf16 x]
// Lane j of the 16-wide arrays belongs to block j of the superblock. Each quad-row of 64 values
// holds codes 4q..4q+3 of the 16 blocks in the order the kernel unpacks weights (prep_pos). Lanes
// and positions past the row's end are zero. Int8 quantizes each block of x separately with
// dx = max|x| / 127 (the same blocks as the weights: their groups, or 32 for whole-row groups).
int64_t prep_sb_bytes(const IntGeom &g, ComputeDtype compute);
inline int64_t prep_row_bytes(const IntGeom &g, ComputeDtype compute) { return g.nsb * prep_sb_bytes(g, compute); }

// Position in a prepared quad-row of code t (0..3) of block j (0..15).
inline int prep_pos(const IntGeom &g, ComputeDtype compute, int j, int t) {
    if (!g.int4) return 4 * j + t;
    if (compute == ComputeDtype::F32)  // vpmovzxbd of 16 bytes, then low / high nibbles
        return (j / 8) * 32 + (t % 2) * 16 + 2 * (j % 8) + t / 2;
    if (compute == ComputeDtype::BF16)  // vpmovzxbw of 32 bytes, then low / high nibbles
        return (t % 2) * 32 + 2 * j + t / 2;
    return 4 * j + t;  // Int8: nibbles unpacked to bytes in code order
}

// The activation block quantization shared by the scalar and the SIMD prepare, so both give
// identical bytes: dx = amax / 127, xq = round-to-nearest-even(x * (127 / amax)).
//
// It must hold for any bits in x, since corrupt weights or scales make NaN and inf activations
// downstream: a float-to-int conversion of NaN, inf or a value past int32 is undefined in C++ and
// gives INT_MIN in SIMD, whose sums overflow. So amax is taken over the bits of |x| as unsigned
// integers (the same order as the floats, with NaN above inf above every finite value, and no
// dependence on the order of a max over NaN); a block whose amax is not finite quantizes to zeros
// with dx NaN, so the dot products it enters are NaN as they would be in float arithmetic; and
// 127 / amax, which overflows for amax below about 7.5e-37, is then 0. With a finite amax and a
// finite inv, |x * inv| <= 127 * (1 + 2^-23)^2 < 127.5, so every xq is in [-127, 127] and the
// int32 sums of a block (at most kMaxIntGroup of them) cannot overflow.
inline uint32_t x_abs_bits(float x) { return f32_bits(x) & 0x7fffffffu; }
inline bool x_block_finite(float amax) { return amax <= std::numeric_limits<float>::max(); }  // not inf, NaN
inline float x_block_dx(float amax) {
    return x_block_finite(amax) ? amax / 127.0f : std::numeric_limits<float>::quiet_NaN();
}
inline float x_block_inv(float amax) {
    if (!x_block_finite(amax) || !(amax > 0.0f)) return 0.0f;
    const float inv = 127.0f / amax;
    return inv <= std::numeric_limits<float>::max() ? inv : 0.0f;
}

// The amax an Int8 prepare quantizes a block of x with, given the block's own amax and its row's
// (both over the bits of |x|, as above): the block's, the row's (kActPerToken) or the static
// g.act_amax. A block holding NaN or inf keeps its own, so it still quantizes to zeros with dx
// NaN; a static amax below the block's saturates it (x_quantize clamps).
inline float x_quant_amax(const IntGeom &g, float block_amax, float row_amax) {
    if (!x_block_finite(block_amax) || g.act_amax == 0.0f) return block_amax;
    return g.act_amax > 0.0f ? g.act_amax : row_amax;
}
// xq of one value: v * inv rounded to nearest even, clamped to [-127, 127] (a no-op unless the
// amax is static and smaller than |v|).
inline int x_quantize(float v, float inv) {
    const float t = v * inv;
    return static_cast<int>(std::nearbyint(t < -127.0f ? -127.0f : (t > 127.0f ? 127.0f : t)));
}
inline bool x_per_row(const IntGeom &g) { return g.act_amax < 0.0f; }
// max |x| over n values, by bits as above.
inline float x_amax(const float *x, int64_t n) {
    uint32_t bits = 0;
    for (int64_t k = 0; k < n; ++k) bits = x_abs_bits(x[k]) > bits ? x_abs_bits(x[k]) : bits;
    return bits_to_f32(bits);
}

// Scalar prepare for each compute type (the reference, and the fallback where no SIMD one exists).
void int_prepare_ref(const IntGeom &g, ComputeDtype compute, const float *x, int64_t m, uint8_t *prepared);

// ---- kernels ----
//
// Every kernel: y[i * ldy + r] = dot(x_i, W row r) for i < m, r in [r0, r1), reading the
// activations from `prepared` (what prepare wrote for these x; the reference kernels read x).
using IntMatmulFn = void (*)(const IntGeom &g, const Matrix &w, const float *x, const uint8_t *prepared, int64_t m,
                             int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1);
using IntPrepareFn = void (*)(const IntGeom &g, const float *x, int64_t m, uint8_t *prepared);

// int_prepare_ref for one compute type, as an IntPrepareFn: what a kernel without a SIMD prepare
// of its own is registered with (kernel_table.cpp), and what tests feed the SIMD kernels to check
// that their layouts agree with the reference's.
void int_prepare_ref_f32(const IntGeom &g, const float *x, int64_t m, uint8_t *prepared);
void int_prepare_ref_bf16(const IntGeom &g, const float *x, int64_t m, uint8_t *prepared);
void int_prepare_ref_int8(const IntGeom &g, const float *x, int64_t m, uint8_t *prepared);

// Scalar references, accumulating in double over the dequantized weights and x as the compute
// type sees it: x (F32), bf16(x) (BF16), dx * xq quantized per block like prepare (Int8).
void int_matmul_ref_f32(const IntGeom &g, const Matrix &w, const float *x, const uint8_t *prepared, int64_t m,
                        int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1);
void int_matmul_ref_bf16(const IntGeom &g, const Matrix &w, const float *x, const uint8_t *prepared, int64_t m,
                         int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1);
void int_matmul_ref_int8(const IntGeom &g, const Matrix &w, const float *x, const uint8_t *prepared, int64_t m,
                         int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1);

// F32 compute (prepared by int_prepare_f32_*).
void int_matmul_f32_avx2(const IntGeom &g, const Matrix &w, const float *x, const uint8_t *prepared, int64_t m,
                         int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1);
void int_matmul_f32_avx512(const IntGeom &g, const Matrix &w, const float *x, const uint8_t *prepared, int64_t m,
                           int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1);
// Int8 compute with vpdpbusd (needs AVX512-VNNI).
void int_matmul_int8_vnni(const IntGeom &g, const Matrix &w, const float *x, const uint8_t *prepared, int64_t m,
                          int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1);
// BF16 compute with vdpbf16ps (needs AVX512-BF16).
void int_matmul_bf16_avx512bf16(const IntGeom &g, const Matrix &w, const float *x, const uint8_t *prepared,
                                int64_t m, int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1);

// Vectorized prepare (AVX512 F/BW). Int8 is byte-identical to int_prepare_ref; F32/BF16 write
// identical x values and sums that may differ from the scalar ones in rounding (summation order).
void int_prepare_int8_avx512(const IntGeom &g, const float *x, int64_t m, uint8_t *prepared);
void int_prepare_f32_avx512(const IntGeom &g, const float *x, int64_t m, uint8_t *prepared);
void int_prepare_bf16_avx512(const IntGeom &g, const float *x, int64_t m, uint8_t *prepared);

}  // namespace llmrt
