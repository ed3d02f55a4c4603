// oneDNN for the prefill GEMM with f32 weights, where it beats our kernel.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/matrix.h"

namespace llmrt {

// Smallest batch handed to oneDNN (see the measurements in dnnl_f32.cpp).
constexpr int64_t kDnnlMinRows = 64;

// True when oneDNN is compiled in, not disabled by LLMRT_NO_DNNL=1, the selected ISA is not
// scalar, and oneDNN's thread count can be held to our pool's. Decided once.
bool dnnl_f32_available();

// y = x W^T for f32 W and m >= kDnnlMinRows: oneDNN for rows of x in power-of-two batches of
// kDnnlMinRows..512, our kernel for the remaining (fewer than kDnnlMinRows) rows. Each pool thread
// computes a slice of output columns with a single-threaded oneDNN primitive, so exactly
// pool.size() threads run.
void dnnl_f32_matmul(const Matrix &w, const float *x, int64_t m, float *y, ThreadPool &pool);

}  // namespace llmrt
