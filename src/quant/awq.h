// AWQ (Lin et al. 2023): activation-aware weight quantization. The linear layers that read the
// same input share per-input-channel scales s = mean|x|^alpha; their weights are quantized as
// W diag(s) and the op before them divides its output by s (folded into a norm's weight or the
// rows of the layer before), so inference pays nothing. alpha is searched on a grid for the
// lowest output error of the group on the calibration inputs; alpha = 0 is round to nearest, so
// AWQ is never worse than it on those inputs.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/weight_types.h"
#include "quant/gptq.h"

namespace llmrt {

struct AwqOptions {
    int n_grid = 20;       // alpha in {0, 1/n_grid, ..., (n_grid - 1)/n_grid}
    int n_clip_grid = 20;  // range shrink factors 1, 1 - 0.5/n, ..., 1 - 0.5(n-1)/n; 0: no clipping
    bool clip_attention = false;  // clip q/k/v too (the reference skips q and k; at g32 it hurts)
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

// The clipping search: for each quantization group of each row of w ([rows][cols], the weights
// about to be quantized into `type`), the group's range [min, max] shrunk by the factor of the
// grid that gives the lowest output error of the group, d^T H_gg d, and w clamped to it in place.
// w may be the weights already multiplied by AWQ's column scales s (their input is then x / s);
// s null: no scales. Returns the layer's summed per-group errors before and after.
std::pair<double, double> awq_clip(float *w, int64_t rows, int64_t cols, const float *s, const WeightType &type,
                                   const Hessian &h, int n_grid, ThreadPool &pool);

// ||(W - Q) X^T||^2 = trace((W - Q) H (W - Q)^T) for a [rows][cols] weight and its dequantized
// approximation q.
double layer_output_error(const float *w, const float *q, int64_t rows, int64_t cols, const Hessian &h,
                          ThreadPool &pool);

}  // namespace llmrt
