// A weight matrix in a packed weight type, and the descriptor every weight type provides.
// Adding a weight type = one new descriptor; architectures only ever see Matrix.
#pragma once

#include <cstddef>
#include <cstdint>

namespace llmrt {

struct Matrix;

struct WeightType {
    const char *name;  // "f32", later "int4_g32" ...
    size_t (*row_bytes)(int64_t cols);
    // Decodes one packed row into cols floats (used by embedding lookup, tests, conversion).
    void (*unpack_row)(const uint8_t *row, int64_t cols, float *out);
    // y[i * ldy + r] = dot(x[i * ldx ..], W row r) for i in [0, m), r in [r0, r1).
    // The best implementation for this CPU, chosen when the descriptor is first requested.
    void (*matmul_rows)(const Matrix &w, const float *x, int64_t m, int64_t ldx, float *y,
                        int64_t ldy, int64_t r0, int64_t r1);
};

struct Matrix {
    const WeightType *type = nullptr;
    int64_t rows = 0;  // output features
    int64_t cols = 0;  // input features
    const uint8_t *data = nullptr;  // rows * type->row_bytes(cols) bytes, 64-byte aligned

    const uint8_t *row(int64_t r) const { return data + static_cast<size_t>(r) * type->row_bytes(cols); }
    size_t nbytes() const { return static_cast<size_t>(rows) * type->row_bytes(cols); }
};

const WeightType &weight_type_f32();

}  // namespace llmrt
