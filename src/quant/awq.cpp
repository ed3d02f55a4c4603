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

// d^T H_gg d for the diagonal block of H at [g0, g0 + n).
double block_quadratic(const float *h, int64_t cols, int64_t g0, const float *d, int64_t n, float *y) {
    std::fill(y, y + n, 0.0f);
    for (int64_t i = 0; i < n; ++i) {
        const float di = d[i];
        if (di == 0.0f) continue;
        const float *hi = h + (g0 + i) * cols + g0;
        for (int64_t j = 0; j < n; ++j) y[j] += di * hi[j];
    }
    double e = 0.0;
    for (int64_t j = 0; j < n; ++j) e += static_cast<double>(d[j]) * static_cast<double>(y[j]);
    return e;
}

}  // namespace

std::pair<double, double> awq_clip(float *w, int64_t rows, int64_t cols, const float *s, const WeightType &type,
                                   const Hessian &h, int n_grid, ThreadPool &pool) {
    require(h.cols() == cols && type.format() != nullptr, Status::Internal, "AWQ clipping needs a quantized type");
    const int32_t gs = type.format()->group_size;
    const int64_t g = gs > 0 && cols % gs == 0 ? gs : cols;
    const std::vector<float> hf = to_f32(h);
    std::vector<double> before(static_cast<size_t>(rows), 0.0), after(static_cast<size_t>(rows), 0.0);
    pool.parallel_for(rows, [&](int64_t r0, int64_t r1) {
        std::vector<float> clamped(static_cast<size_t>(g)), q(static_cast<size_t>(g)), y(static_cast<size_t>(g)),
            best(static_cast<size_t>(g));
        std::vector<uint8_t> packed(type.row_bytes(g));
        for (int64_t r = r0; r < r1; ++r) {
            for (int64_t g0 = 0; g0 < cols; g0 += g) {
                float *wg = w + r * cols + g0;
                const float lo = *std::min_element(wg, wg + g), hi = *std::max_element(wg, wg + g);
                double best_e = INFINITY;
                for (int i = 0; i < std::max(n_grid, 1); ++i) {
                    const float f = 1.0f - 0.5f * static_cast<float>(i) / static_cast<float>(std::max(n_grid, 1));
                    for (int64_t c = 0; c < g; ++c) clamped[static_cast<size_t>(c)] = std::min(std::max(wg[c], lo * f), hi * f);
                    type.pack_row(clamped.data(), g, packed.data());
                    type.unpack_row(packed.data(), g, q.data());
                    for (int64_t c = 0; c < g; ++c)
                        q[static_cast<size_t>(c)] = (wg[c] - q[static_cast<size_t>(c)]) / (s ? s[g0 + c] : 1.0f);
                    const double e = block_quadratic(hf.data(), cols, g0, q.data(), g, y.data());
                    if (i == 0) before[static_cast<size_t>(r)] += e;
                    if (e < best_e) {
                        best_e = e;
                        best = clamped;
                    }
                }
                after[static_cast<size_t>(r)] += best_e;
                std::copy(best.begin(), best.end(), wg);
            }
        }
    });
    double b = 0.0, a = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
        b += before[static_cast<size_t>(r)];
        a += after[static_cast<size_t>(r)];
    }
    return {b, a};
}

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
