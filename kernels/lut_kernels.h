// The matmul kernels of the nf4/fp4/fp8 weight types (layout: lut_quant.h), one per ISA and
// compute type, exposed so tests and benchmarks can call every variant directly. Each is a row
// of the kernel table (kernel_table.h), which weight_lut.cpp picks one from at start-up.
//
// Contract (WeightType::matmul_rows): y[i * ldy + r] = dot(x[i * ldx ...], W row r) for i in
// [0, m), r in [r0, r1), where prepared is what the matching *_prepare wrote for these x (x
// stored contiguously, ldx == cols) or nullptr when *_prepared_bytes is 0.
//
// F32 compute: W values are code value * scale in fp32. BF16 compute: bf16(x) . bf16(code value
// * scale) with fp32 accumulation (VDPBF16PS), each rounded by lut_bf16_round. (The one code
// pack never writes, E4M3's NaN, reads as 480 in the SIMD kernels and as NaN in the scalar ones.)
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/lut_quant.h"
#include "kernels/matrix.h"

namespace llmrt {

using LutMatmulFn = void (*)(const LutLayout &layout, const Matrix &w, const float *x, const uint8_t *prepared,
                             int64_t m, int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1);
using LutPreparedBytesFn = size_t (*)(const LutLayout &layout, int64_t m);
using LutPrepareFn = void (*)(const LutLayout &layout, const float *x, int64_t m, uint8_t *prepared);

// F32: kernels read x up to padded_cols, so x is copied into zero-padded rows unless cols is
// already a multiple of kLutColAlign (then 0 bytes: the kernels read x in place).
size_t lut_f32_prepared_bytes(const LutLayout &layout, int64_t m);
void lut_f32_prepare(const LutLayout &layout, const float *x, int64_t m, uint8_t *prepared);

// BF16: x rounded to bf16 once, rows of padded_cols (zero-padded). For the 4-bit kinds the
// middle two 16-value chunks of every 64 values are swapped ([0..15, 32..47, 16..31, 48..63]):
// the order in which the kernels decode two 4-bit blocks.
size_t lut_bf16_prepared_bytes(const LutLayout &layout, int64_t m);
void lut_bf16_prepare_scalar(const LutLayout &layout, const float *x, int64_t m, uint8_t *prepared);
void lut_bf16_prepare_avx512bf16(const LutLayout &layout, const float *x, int64_t m, uint8_t *prepared);

// The accuracy references (and the kernels without AVX2): they read x directly (prepared is
// ignored) and accumulate in double; the bf16 one rounds x and W values as described above.
void lut_f32_matmul_rows_scalar(const LutLayout &layout, const Matrix &w, const float *x, const uint8_t *prepared,
                                int64_t m, int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1);
void lut_bf16_matmul_rows_scalar(const LutLayout &layout, const Matrix &w, const float *x, const uint8_t *prepared,
                                 int64_t m, int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1);

void lut_f32_matmul_rows_avx2(const LutLayout &layout, const Matrix &w, const float *x, const uint8_t *prepared,
                              int64_t m, int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1);
void lut_f32_matmul_rows_avx512(const LutLayout &layout, const Matrix &w, const float *x, const uint8_t *prepared,
                                int64_t m, int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1);
// Needs AVX512-BF16 (cpu_features().avx512bf16) on top of the AVX512 level.
void lut_bf16_matmul_rows_avx512bf16(const LutLayout &layout, const Matrix &w, const float *x,
                                     const uint8_t *prepared, int64_t m, int64_t ldx, float *y, int64_t ldy,
                                     int64_t r0, int64_t r1);

}  // namespace llmrt
