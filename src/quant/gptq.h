// GPTQ (Frantar et al. 2022): quantizes a weight matrix column by column, pushing each column's
// rounding error onto the columns not yet quantized, weighted by the inverse Hessian of the
// layer's reconstruction error, H = sum over calibration inputs of x x^T.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/weight_types.h"

namespace llmrt {

struct GptqOptions {
    double damp = 0.01;      // added to H's diagonal, as a share of its mean
    int64_t block = 128;     // columns per lazy batch update
    bool act_order = false;  // quantize columns by decreasing H diagonal (groups stay static)
    int clip_grid = 0;       // > 0: search each group's range shrink on this many steps down to 0.8
};

// The sum of x x^T over rows of calibration inputs, accumulated in double.
class Hessian {
public:
    explicit Hessian(int64_t cols) : cols_(cols), h_(static_cast<size_t>(cols * cols), 0.0) {}
    // Adds n rows of `cols` values.
    void add(const float *x, int64_t n, ThreadPool &pool);
    int64_t cols() const { return cols_; }
    int64_t rows_seen() const { return rows_; }
    const std::vector<double> &values() const { return h_; }

private:
    int64_t cols_;
    int64_t rows_ = 0;
    std::vector<double> h_;
};

// Quantizes w ([rows][cols], f32, original column order) into `type` (an int4/int8 weight type),
// writing rows * type.row_bytes(cols) bytes to dst. Throws Status::InvalidArgument for a type
// GPTQ cannot produce codes for.
void gptq_quantize(const float *w, int64_t rows, int64_t cols, const Hessian &h, const WeightType &type,
                   const GptqOptions &options, uint8_t *dst, ThreadPool &pool);

// ||(W - Q) X^T||^2 / ||W X^T||^2 over calibration inputs given through their Hessian:
// trace((W - Q) H (W - Q)^T) / trace(W H W^T). What GPTQ minimises, for tests and reports.
double relative_layer_error(const float *w, const float *q, int64_t rows, int64_t cols, const Hessian &h);

}  // namespace llmrt
