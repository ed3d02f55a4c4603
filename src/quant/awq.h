// AWQ (Lin et al. 2023): activation-aware weight quantization. The linear layers that read the
// same input share per-input-channel scales s = mean|x|^alpha; their weights are quantized as
// W diag(s) and the op before them divides its output by s (folded into a norm's weight or the
// rows of the layer before), so inference pays nothing. alpha is searched on a grid for the
// lowest output error of the group on the calibration inputs; alpha = 0 is round to nearest, so
// AWQ is never worse than it on those inputs.
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/weight_types.h"
#include "quant/gptq.h"

namespace llmrt {

struct AwqOptions {
    int n_grid = 20;  // alpha in {0, 1/n_grid, ..., (n_grid - 1)/n_grid}
};

// One linear layer of a group: its f32 weights [rows][cols] and the type it is quantized to.
struct AwqLinear {
    const float *w;
    int64_t rows;
    const WeightType *type;
};

struct AwqResult {
    std::vector<float> scales;  // cols; all 1 when alpha is 0
    double alpha = 0.0;
    double error = 0.0;      // sum over the group of ||(W - Q(W s)/s) X^T||^2 at the chosen alpha
    double rtn_error = 0.0;  // the same at alpha 0 (round to nearest)
};

// mean_abs: the group input's per-channel mean |x| (cols); h: its sum of x x^T over the same
// calibration inputs, through which the output error over all of them is evaluated exactly.
AwqResult awq_search(const std::vector<AwqLinear> &group, int64_t cols, const std::vector<double> &mean_abs,
                     const Hessian &h, const AwqOptions &options, ThreadPool &pool);

// ||(W - Q) X^T||^2 = trace((W - Q) H (W - Q)^T) for a [rows][cols] weight and its dequantized
// approximation q.
double layer_output_error(const float *w, const float *q, int64_t rows, int64_t cols, const Hessian &h,
                          ThreadPool &pool);

}  // namespace llmrt
