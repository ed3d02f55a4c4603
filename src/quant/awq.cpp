#include "quant/awq.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace llmrt {
namespace {

// Rows [r0, r1) of w scaled by s column-wise, quantized, unpacked and divided back by s: the
// weight the folded model effectively computes with.
void effective_rows(const AwqLinear &l, int64_t cols, const float *s, int64_t r0, int64_t r1, float *out) {
    std::vector<float> scaled(static_cast<size_t>(cols));
    std::vector<uint8_t> packed(l.type->row_bytes(cols));
    for (int64_t r = r0; r < r1; ++r) {
        const float *w = l.w + r * cols;
        for (int64_t c = 0; c < cols; ++c) scaled[static_cast<size_t>(c)] = w[c] * s[c];
        l.type->pack_row(scaled.data(), cols, packed.data());
        float *q = out + (r - r0) * cols;
        l.type->unpack_row(packed.data(), cols, q);
        for (int64_t c = 0; c < cols; ++c) q[c] /= s[c];
    }
}

// d^T H d for one row of differences d (H in f32, symmetric).
double quadratic(const float *h, const float *d, int64_t cols, float *y) {
    std::fill(y, y + cols, 0.0f);
    for (int64_t i = 0; i < cols; ++i) {
        const float di = d[i];
        if (di == 0.0f) continue;
        const float *hi = h + i * cols;
        for (int64_t j = 0; j < cols; ++j) y[j] += di * hi[j];
    }
    double e = 0.0;
    for (int64_t j = 0; j < cols; ++j) e += static_cast<double>(d[j]) * static_cast<double>(y[j]);
    return e;
}

std::vector<float> to_f32(const Hessian &h) {
    const std::vector<double> &v = h.values();
    std::vector<float> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i]);
    return out;
}

// Output error of the group with column scales s (all linears, all rows).
double group_error(const std::vector<AwqLinear> &group, int64_t cols, const float *s, const std::vector<float> &h,
                   ThreadPool &pool) {
    double total = 0.0;
    for (const AwqLinear &l : group) {
        std::vector<double> per_row(static_cast<size_t>(l.rows), 0.0);
        pool.parallel_for(l.rows, [&](int64_t r0, int64_t r1) {
            std::vector<float> q(static_cast<size_t>(cols)), y(static_cast<size_t>(cols));
            for (int64_t r = r0; r < r1; ++r) {
                effective_rows(l, cols, s, r, r + 1, q.data());
                const float *w = l.w + r * cols;
                for (int64_t c = 0; c < cols; ++c) q[static_cast<size_t>(c)] = w[c] - q[static_cast<size_t>(c)];
                per_row[static_cast<size_t>(r)] = quadratic(h.data(), q.data(), cols, y.data());
            }
        });
        for (double e : per_row) total += e;
    }
    return total;
}

}  // namespace

double layer_output_error(const float *w, const float *q, int64_t rows, int64_t cols, const Hessian &h,
                          ThreadPool &pool) {
    require(h.cols() == cols, Status::Internal, "a Hessian's width does not match its layer");
    const std::vector<float> hf = to_f32(h);
    std::vector<double> per_row(static_cast<size_t>(rows), 0.0);
    pool.parallel_for(rows, [&](int64_t r0, int64_t r1) {
        std::vector<float> d(static_cast<size_t>(cols)), y(static_cast<size_t>(cols));
        for (int64_t r = r0; r < r1; ++r) {
            for (int64_t c = 0; c < cols; ++c) d[static_cast<size_t>(c)] = w[r * cols + c] - q[r * cols + c];
            per_row[static_cast<size_t>(r)] = quadratic(hf.data(), d.data(), cols, y.data());
        }
    });
    double total = 0.0;
    for (double e : per_row) total += e;
    return total;
}

AwqResult awq_search(const std::vector<AwqLinear> &group, int64_t cols, const std::vector<double> &mean_abs,
                     const Hessian &h, const AwqOptions &options, ThreadPool &pool) {
    require(!group.empty() && h.cols() == cols && static_cast<int64_t>(mean_abs.size()) == cols &&
                options.n_grid > 0,
            Status::Internal, "AWQ needs a group of linears and statistics of their input");
    const std::vector<float> hf = to_f32(h);
    AwqResult best;
    best.scales.assign(static_cast<size_t>(cols), 1.0f);
    best.rtn_error = best.error = group_error(group, cols, best.scales.data(), hf, pool);
    std::vector<float> s(static_cast<size_t>(cols));
    for (int i = 1; i < options.n_grid; ++i) {
        const double alpha = static_cast<double>(i) / options.n_grid;
        double lo = INFINITY, hi = 0.0;
        for (int64_t c = 0; c < cols; ++c) {
            const double v = std::max(std::pow(mean_abs[static_cast<size_t>(c)], alpha), 1e-4);
            s[static_cast<size_t>(c)] = static_cast<float>(v);
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        // Centred on 1 (geometrically), as the reference implementation does.
        const double norm = std::sqrt(lo * hi);
        for (float &v : s) v = static_cast<float>(v / norm);
        const double e = group_error(group, cols, s.data(), hf, pool);
        if (e < best.error) {
            best.error = e;
            best.alpha = alpha;
            best.scales = s;
        }
    }
    return best;
}

}  // namespace llmrt
