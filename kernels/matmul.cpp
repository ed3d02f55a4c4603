#include "kernels/matmul.h"

#include <vector>

#include "kernels/dnnl_f32.h"
#include "kernels/row_split.h"

namespace llmrt {
namespace {

// Prepared activations (e.g. int8-quantized x) for the matmul in flight on this thread. It
// grows to the largest size seen and is then reused: no allocation in the token loop.
// Below this many multiply-adds, waking the other threads costs more than it saves (and on a
// busy machine a descheduled worker can stall the whole call): run on the calling thread.
constexpr int64_t kMinParallelWork = int64_t{1} << 18;

std::vector<uint8_t> &prepared_buffer() {
    thread_local std::vector<uint8_t> buffer;
    return buffer;
}

}  // namespace

void matmul(const Matrix &w, const float *x, int64_t m, float *y, ThreadPool &pool) {
    if (m <= 0 || w.rows <= 0) return;
    if (w.type == &weight_type_f32() && m >= kDnnlMinRows && dnnl_f32_available()) {
        dnnl_f32_matmul(w, x, m, y, pool);
        return;
    }
    const WeightType &type = *w.type;
    const uint8_t *prepared = nullptr;
    if (const size_t bytes = type.prepared_bytes(m, w.cols)) {
        std::vector<uint8_t> &buffer = prepared_buffer();
        if (buffer.size() < bytes) buffer.resize(bytes);
        type.prepare(x, m, w.cols, buffer.data());
        prepared = buffer.data();
    }
    if (m * w.rows * w.cols < kMinParallelWork) {
        type.matmul_rows(w, x, prepared, m, w.cols, y, w.rows, 0, w.rows);
        return;
    }
    pool.run([&](int ith, int nth) {
        const RowRange r = split_rows(w.rows, ith, nth);
        if (r.begin < r.end) type.matmul_rows(w, x, prepared, m, w.cols, y, w.rows, r.begin, r.end);
    });
}

}  // namespace llmrt
