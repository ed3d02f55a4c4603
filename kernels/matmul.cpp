#include "kernels/matmul.h"

#include <algorithm>
#include <vector>

#include "kernels/dnnl_f32.h"
#include "kernels/row_split.h"

namespace llmrt {
namespace {

// Below this many multiply-adds, waking the other threads costs more than it saves (and on a
// busy machine a descheduled worker can stall the whole call): run on the calling thread.
constexpr int64_t kMinParallelWork = int64_t{1} << 18;

// Prepared activations (e.g. int8-quantized x) for the matmul in flight on this thread. It
// grows to the largest size seen and is then reused: no allocation in the token loop.
std::vector<uint8_t> &prepared_buffer() {
    thread_local std::vector<uint8_t> buffer;
    return buffer;
}

// The prepared activations of x for `type`, in the thread's buffer; nullptr when the type needs none.
const uint8_t *prepare_activations(const Matrix &w, const float *x, int64_t m) {
    const size_t bytes = w.type->prepared_bytes(m, w.cols);
    if (bytes == 0) return nullptr;
    std::vector<uint8_t> &buffer = prepared_buffer();
    if (buffer.size() < bytes) buffer.resize(bytes);
    w.type->prepare(w, x, m, buffer.data());
    return buffer.data();
}

// x with its columns in a matrix's stored order: row i, column k = x[i * cols + perm[k]]. In a
// thread-local buffer like the prepared activations.
const float *gather_columns(const int32_t *perm, const float *x, int64_t m, int64_t cols) {
    thread_local std::vector<float> buffer;
    const size_t n = static_cast<size_t>(m * cols);
    if (buffer.size() < n) buffer.resize(n);
    for (int64_t i = 0; i < m; ++i) {
        const float *src = x + i * cols;
        float *dst = buffer.data() + i * cols;
        for (int64_t k = 0; k < cols; ++k) dst[k] = src[perm[k]];
    }
    return buffer.data();
}

// The group's matrices can share one prepare and one parallel section.
bool shares_kernels(const MatmulOutput *outputs, int count) {
    for (int i = 1; i < count; ++i)
        if (outputs[i].w->type != outputs[0].w->type || outputs[i].w->cols != outputs[0].w->cols ||
            outputs[i].w->in_perm != outputs[0].w->in_perm || outputs[i].w->act_amax != outputs[0].w->act_amax)
            return false;
    return true;
}

bool uses_dnnl(const Matrix &w, int64_t m) {
    return w.type == &weight_type_f32() && m >= kDnnlMinRows && dnnl_f32_available();
}

}  // namespace

void matmul(const Matrix &w, const float *x, int64_t m, float *y, ThreadPool &pool) {
    const MatmulOutput one{&w, y};
    matmul_group(&one, 1, x, m, pool);
}

void matmul_group(const MatmulOutput *outputs, int count, const float *x, int64_t m, ThreadPool &pool) {
    if (m <= 0 || count <= 0) return;
    if (count > 1 && !shares_kernels(outputs, count)) {
        for (int i = 0; i < count; ++i) matmul_group(&outputs[i], 1, x, m, pool);
        return;
    }
    int64_t total_rows = 0;
    for (int i = 0; i < count; ++i) total_rows += outputs[i].w->rows;
    if (total_rows <= 0) return;
    if (outputs[0].w->in_perm) x = gather_columns(outputs[0].w->in_perm, x, m, outputs[0].w->cols);
    if (uses_dnnl(*outputs[0].w, m)) {
        for (int i = 0; i < count; ++i)
            if (outputs[i].w->rows > 0) dnnl_f32_matmul(*outputs[i].w, x, m, outputs[i].y, pool);
        return;
    }
    const WeightType &type = *outputs[0].w->type;
    const int64_t cols = outputs[0].w->cols;
    const uint8_t *prepared = prepare_activations(*outputs[0].w, x, m);
    // Rows [begin, end) of the group's concatenated outputs.
    auto run_rows = [&](int64_t begin, int64_t end) {
        int64_t first = 0;
        for (int i = 0; i < count && first < end; first += outputs[i].w->rows, ++i) {
            const Matrix &w = *outputs[i].w;
            const int64_t r0 = std::max<int64_t>(begin - first, 0), r1 = std::min<int64_t>(end - first, w.rows);
            if (r0 < r1) type.matmul_rows(w, x, prepared, m, cols, outputs[i].y, w.rows, r0, r1);
        }
    };
    if (m * total_rows * cols < kMinParallelWork) {
        run_rows(0, total_rows);
        return;
    }
    RowChunks chunks(total_rows, pool.size());
    pool.run([&](int ith, int) {
        for (RowRange r = chunks.next(ith); r.begin < r.end; r = chunks.next(ith)) run_rows(r.begin, r.end);
    });
}

}  // namespace llmrt
