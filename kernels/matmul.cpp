#include "kernels/matmul.h"

#include "kernels/dnnl_f32.h"
#include "kernels/row_split.h"

namespace llmrt {

void matmul(const Matrix &w, const float *x, int64_t m, float *y, ThreadPool &pool) {
    if (m <= 0 || w.rows <= 0) return;
    if (w.type == &weight_type_f32() && m >= kDnnlMinRows && dnnl_f32_available()) {
        dnnl_f32_matmul(w, x, m, y, pool);
        return;
    }
    const auto kernel = w.type->matmul_rows;
    pool.run([&](int ith, int nth) {
        const RowRange r = split_rows(w.rows, ith, nth);
        if (r.begin < r.end) kernel(w, x, m, w.cols, y, w.rows, r.begin, r.end);
    });
}

}  // namespace llmrt
