// The F32 weight type's matmul_rows, one implementation per ISA, exposed so tests and benchmarks
// can call every variant directly. Each is a row of the kernel table (kernel_table.h), which
// weight_type_f32() picks one from at start-up.
//
// Contract (WeightType::matmul_rows): y[i * ldy + r] = dot(x[i * ldx ...], W row r) for i in [0, m),
// r in [r0, r1). W rows are contiguous floats (row_bytes = cols * 4).
#pragma once

#include <cstdint>

#include "kernels/matrix.h"

namespace llmrt {

using F32MatmulFn = void (*)(const Matrix &w, const float *x, int64_t m, int64_t ldx, float *y, int64_t ldy,
                             int64_t r0, int64_t r1);

// Accumulates in double: the accuracy reference for the SIMD variants, and the fallback on CPUs
// without AVX2.
void f32_matmul_rows_scalar(const Matrix &w, const float *x, int64_t m, int64_t ldx, float *y,
                            int64_t ldy, int64_t r0, int64_t r1);
void f32_matmul_rows_avx2(const Matrix &w, const float *x, int64_t m, int64_t ldx, float *y,
                          int64_t ldy, int64_t r0, int64_t r1);
void f32_matmul_rows_avx512(const Matrix &w, const float *x, int64_t m, int64_t ldx, float *y,
                            int64_t ldy, int64_t r0, int64_t r1);

}  // namespace llmrt
