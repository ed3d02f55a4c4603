// SmoothQuant (Xiao et al. 2023): W8A8 with per-input-channel smoothing. Activations have a few
// channels far larger than the rest, which one int8 scale per token cannot represent; weights do
// not. The layers reading the same input share scales s_j = max|X_j|^alpha / max|W_j|^(1-alpha):
// the op before them divides its output by s (folded into a norm's weight or up's rows, as AWQ
// does), the layers compute with W diag(s), which moves part of the activations' range into the
// weights. Weights are then int8 per output channel, activations int8 per token (dynamic) or with
// one calibrated scale per layer (static), and the matmuls run in int8 (Matrix::act_amax).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/weight_types.h"
#include "models/model.h"
#include "models/quant_plan.h"

namespace llmrt {

// One linear layer of a group sharing an input: f32 weights [rows][cols].
struct SmoothLinear {
    const float *w;
    int64_t rows;
};

// s_j = act_absmax_j^alpha / max over the group's rows of |W_ij|^(1-alpha); 1 for a channel whose
// activations or weights are all zero (nothing to balance).
std::vector<float> smooth_scales(const std::vector<SmoothLinear> &group, int64_t cols,
                                 const std::vector<float> &act_absmax, double alpha);

// The relative output error ||X W^T - Q(X/s) Q(W diag(s))^T||^2 / ||X W^T||^2 of one layer on
// x (n rows of cols), computed as the runtime computes it: `type` (int8, int8 compute) with
// Matrix::act_amax = act_amax (kActPerToken, or the static max |x/s|).
double w8a8_error(const SmoothLinear &layer, int64_t cols, const float *s, const float *x, int64_t n,
                  const WeightType &type, float act_amax, ThreadPool &pool);

// The static activation amax of an input smoothed by s: max_j act_absmax_j / s_j when percentile
// is 100, else that percentile of |x_j / s_j| over the n sampled rows x.
float static_act_amax(const std::vector<float> &act_absmax, const float *s, const float *x, int64_t n, int64_t cols,
                      double percentile);

struct SmoothChoice {
    std::vector<float> scales;
    double alpha = 0.0;
    double error = 0.0;             // the group's criterion at alpha, on the sampled rows
    double unsmoothed_error = 0.0;  // the same with s = 1
};

// The scales for a group (fixed alpha, or the search), with errors measured on the sampled rows x
// (n of them). types: each layer's int8 type, or nullptr for a layer kept in f32 (no error).
SmoothChoice smooth_choose(const std::vector<SmoothLinear> &group, const std::vector<const WeightType *> &types,
                           int64_t cols, const std::vector<float> &act_absmax, const float *x, int64_t n,
                           const SmoothQuantOptions &options, ThreadPool &pool);

// SmoothQuant on every block of a loaded f32 model, calibrated block by block (quant/calibration.h):
// q/k/v, gate/up and down smoothed where the architecture can fold (attention norm, MLP norm,
// up's rows), o unsmoothed; every block linear the plan quantizes gets the plan's type (int8 per
// output channel, int8 compute: the plan's compute) and its activation mode (Matrix::act_amax,
// also recorded in the store for the file); layers the plan keeps in f32 stay f32 (smoothed with
// their group). The other matrices the plan quantizes are rounded to nearest.
void quantize_with_smoothquant(Model &model, const QuantPlan &plan, const std::vector<std::vector<int32_t>> &samples,
                               const SmoothQuantOptions &options, int n_threads,
                               const std::function<bool(float, const std::string &)> &progress);

}  // namespace llmrt
