// y = x . W^T for a batch of activation rows, split over the thread pool. m == 1 is the decode
// GEMV (streams W once); larger m is the prefill GEMM (oneDNN for f32 where it is faster).
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/matrix.h"

namespace llmrt {

// x: m rows of w.cols floats (contiguous); y: m rows of w.rows floats (contiguous).
void matmul(const Matrix &w, const float *x, int64_t m, float *y, ThreadPool &pool);

}  // namespace llmrt
