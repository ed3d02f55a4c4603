// A weight matrix in a packed weight type, and the interface every weight type implements.
// Adding a weight type = one new WeightType; architectures only ever see Matrix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/quant_format.h"

namespace llmrt {

struct Matrix;

// Matrix::act_amax for one activation scale per row of x, taken from the row itself.
constexpr float kActPerToken = -1.0f;

class WeightType {
public:
    virtual ~WeightType() = default;

    // What files record: "f32" or quant_format_name(*format()).
    virtual const std::string &name() const = 0;
    // The quantized storage format; nullptr for f32.
    virtual const QuantFormat *format() const { return nullptr; }
    // What the dot products run in (never Auto: resolved when the type was made).
    virtual ComputeDtype compute() const = 0;

    virtual size_t row_bytes(int64_t cols) const = 0;
    // Round-to-nearest quantization of one row into this type's layout (f32: a copy).
    virtual void pack_row(const float *src, int64_t cols, uint8_t *dst) const = 0;
    // Decodes one packed row into cols floats (embedding lookup, tests, conversion).
    virtual void unpack_row(const uint8_t *row, int64_t cols, float *out) const = 0;
    // Tensor parallelism splits some matrices by input features. Column slices start on a
    // multiple of column_step(cols) (a quantization group: scales are never shared by two
    // slices) and end on one or at cols.
    virtual int64_t column_step(int64_t cols) const = 0;
    // Columns [c0, c1) of a packed row of `cols` as a packed row of c1 - c0 columns with the same
    // values exactly: codes and scales are copied, never rounded again.
    virtual void slice_row(const uint8_t *row, int64_t cols, int64_t c0, int64_t c1, uint8_t *dst) const = 0;

    // Activations some compute types need once per matmul, shared by every thread (int8:
    // x quantized per group). 0 = none.
    virtual size_t prepared_bytes(int64_t m, int64_t cols) const {
        (void)m;
        (void)cols;
        return 0;
    }
    // w: the matrix about to be multiplied (its cols, and for int8 compute its act_amax).
    virtual void prepare(const Matrix &w, const float *x, int64_t m, uint8_t *prepared) const {
        (void)w;
        (void)x;
        (void)m;
        (void)prepared;
    }
    // y[i * ldy + r] = dot(x[i * ldx ..], W row r) for i in [0, m), r in [r0, r1). prepared is
    // what prepare() wrote for these x (nullptr when prepared_bytes is 0).
    virtual void matmul_rows(const Matrix &w, const float *x, const uint8_t *prepared, int64_t m, int64_t ldx,
                             float *y, int64_t ldy, int64_t r0, int64_t r1) const = 0;
};

struct Matrix {
    const WeightType *type = nullptr;
    int64_t rows = 0;  // output features
    int64_t cols = 0;  // input features
    const uint8_t *data = nullptr;  // rows * type->row_bytes(cols) bytes
    // Column k of the stored rows holds input feature in_perm[k] (cols entries), or nullptr for
    // the identity. matmul() gathers x[in_perm[k]] before the kernels, which never see it. It lets
    // GPTQ's act-order checkpoints keep their groups, which are not consecutive input features.
    const int32_t *in_perm = nullptr;
    // How int8 compute quantizes x for this matrix (other compute types ignore it): 0, per block
    // of the weights' groups (32 for whole-row groups); kActPerToken, one scale per row of x
    // (SmoothQuant's dynamic W8A8); > 0, one static scale for every row, this being the max |x|
    // calibrated for it (values beyond it saturate). Files store it as "<weight>.act_amax".
    float act_amax = 0.0f;

    const uint8_t *row(int64_t r) const { return data + static_cast<size_t>(r) * type->row_bytes(cols); }
    size_t nbytes() const { return static_cast<size_t>(rows) * type->row_bytes(cols); }
};

const WeightType &weight_type_f32();

}  // namespace llmrt
