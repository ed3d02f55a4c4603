#include "kernels/f32_kernels.h"

namespace llmrt {

void f32_matmul_rows_scalar(const Matrix &w, const float *x, int64_t m, int64_t ldx, float *y,
                            int64_t ldy, int64_t r0, int64_t r1) {
    const int64_t cols = w.cols;
    for (int64_t r = r0; r < r1; ++r) {
        const float *wr = reinterpret_cast<const float *>(w.row(r));
        for (int64_t i = 0; i < m; ++i) {
            const float *xi = x + i * ldx;
            double acc = 0.0;
            for (int64_t c = 0; c < cols; ++c) acc += static_cast<double>(xi[c]) * wr[c];
            y[i * ldy + r] = static_cast<float>(acc);
        }
    }
}

}  // namespace llmrt
