// y = x . W^T for a batch of activation rows, split over the thread pool. m == 1 is the decode
// GEMV (streams W once); larger m is the prefill GEMM (oneDNN for f32 where it is faster).
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/matrix.h"

namespace llmrt {

// x: m rows of w.cols floats (contiguous); y: m rows of w.rows floats (contiguous). A matrix with
// an input permutation (Matrix::in_perm) gets x's columns gathered into its stored order first.
void matmul(const Matrix &w, const float *x, int64_t m, float *y, ThreadPool &pool);

// One product of a group applied to the same x.
struct MatmulOutput {
    const Matrix *w;
    float *y;  // m rows of w->rows floats
};
// y_i = x . W_i^T for matrices sharing their input (q/k/v, gate/up). When their weight types and
// widths agree, x is prepared once and one parallel section covers the rows of all of them, so a
// decode step waits at one barrier instead of one per matrix and the small k/v products do not
// each pay the wake-up. Otherwise the same as calling matmul() for each.
void matmul_group(const MatmulOutput *outputs, int count, const float *x, int64_t m, ThreadPool &pool);

}  // namespace llmrt
