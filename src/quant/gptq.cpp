#include "quant/gptq.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "core/log.h"
#include "kernels/int_quant.h"

namespace llmrt {
namespace {

// In place: the lower Cholesky factor of a symmetric positive definite n x n matrix (upper
// triangle left as is). False when it is not positive definite.
bool cholesky_lower(std::vector<double> &a, int64_t n) {
    for (int64_t j = 0; j < n; ++j) {
        double d = a[j * n + j];
        for (int64_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
        if (!(d > 0.0)) return false;
        const double ljj = std::sqrt(d);
        a[j * n + j] = ljj;
        for (int64_t i = j + 1; i < n; ++i) {
            double s = a[i * n + j];
            for (int64_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = s / ljj;
        }
    }
    return true;
}

// U, upper triangular, with U^T U = H^-1 (torch.linalg.cholesky(cholesky_inverse(L), upper=True)),
// as floats in row-major n x n. False when H (damped) is not positive definite.
bool inverse_cholesky_upper(std::vector<double> h, int64_t n, std::vector<float> &u) {
    if (!cholesky_lower(h, n)) return false;
    // inv(L), lower triangular, by forward substitution column by column.
    std::vector<double> li(static_cast<size_t>(n * n), 0.0);
    for (int64_t j = 0; j < n; ++j) {
        li[j * n + j] = 1.0 / h[j * n + j];
        for (int64_t i = j + 1; i < n; ++i) {
            double s = 0.0;
            for (int64_t k = j; k < i; ++k) s += h[i * n + k] * li[k * n + j];
            li[i * n + j] = -s / h[i * n + i];
        }
    }
    // H^-1 = inv(L)^T inv(L).
    std::vector<double> hinv(static_cast<size_t>(n * n), 0.0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j <= i; ++j) {
            double s = 0.0;
            for (int64_t k = i; k < n; ++k) s += li[k * n + i] * li[k * n + j];
            hinv[i * n + j] = s;
            hinv[j * n + i] = s;
        }
    if (!cholesky_lower(hinv, n)) return false;
    u.assign(static_cast<size_t>(n * n), 0.0f);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j <= i; ++j) u[j * n + i] = static_cast<float>(hinv[i * n + j]);
    return true;
}

// The group's parameters: round to nearest's, or with options.clip_grid > 0 those of the range
// shrunk by the factor (1, 1 - 0.2/n, ..., 1 - 0.2(n-1)/n) whose rounding error, weighted by
// the columns' H diagonal, is lowest (the reference GPTQ's `mse` search; diag null: unweighted).
BlockParams group_params(const IntGeom &g, const float *x, int64_t n, const double *diag, int clip_grid,
                         std::vector<float> &scratch) {
    BlockParams best = int_group_params(g, x, n);
    if (clip_grid <= 0) return best;
    auto error = [&](BlockParams p) {
        double e = 0.0;
        for (int64_t i = 0; i < n; ++i) {
            const double d = x[i] - code_value(g, int_quantize_code(g, x[i], p), p);
            e += (diag ? diag[i] : 1.0) * d * d;
        }
        return e;
    };
    double best_error = error(best);
    scratch.resize(static_cast<size_t>(n));
    for (int k = 1; k < clip_grid; ++k) {
        const float shrink = 1.0f - 0.2f * static_cast<float>(k) / static_cast<float>(clip_grid);
        for (int64_t i = 0; i < n; ++i) scratch[static_cast<size_t>(i)] = x[i] * shrink;
        const BlockParams p = int_group_params(g, scratch.data(), n);
        const double e = error(p);
        if (e < best_error) {
            best_error = e;
            best = p;
        }
    }
    return best;
}

}  // namespace

void Hessian::add(const float *x, int64_t n, ThreadPool &pool) {
    const int64_t c = cols_;
    pool.parallel_for(c, [&](int64_t a0, int64_t a1) {
        std::vector<float> row(static_cast<size_t>(c));
        for (int64_t a = a0; a < a1; ++a) {
            std::fill(row.begin(), row.end(), 0.0f);
            for (int64_t t = 0; t < n; ++t) {
                const float *xt = x + t * c;
                const float xa = xt[a];
                if (xa == 0.0f) continue;
                for (int64_t b = 0; b < c; ++b) row[static_cast<size_t>(b)] += xa * xt[b];
            }
            double *h = h_.data() + a * c;
            for (int64_t b = 0; b < c; ++b) h[b] += row[static_cast<size_t>(b)];
        }
    });
    rows_ += n;
}

void gptq_quantize(const float *w, int64_t rows, int64_t cols, const Hessian &hessian, const WeightType &type,
                   const GptqOptions &options, uint8_t *dst, ThreadPool &pool) {
    const QuantFormat *format = type.format();
    require(format && (format->kind == QuantKind::Int4 || format->kind == QuantKind::Int8), Status::InvalidArgument,
            "GPTQ produces int4 or int8 weights, not " + type.name());
    require(hessian.cols() == cols, Status::Internal, "the Hessian does not match the layer");
    const IntGeom g = int_geom(*format, cols);
    const int64_t group = g.row_scale ? cols : g.block;

    // Columns no calibration input ever reached carry no information: quantize them as zero.
    std::vector<double> h = hessian.values();
    std::vector<bool> dead(static_cast<size_t>(cols), false);
    double mean_diag = 0.0;
    for (int64_t i = 0; i < cols; ++i) {
        if (h[i * cols + i] == 0.0) {
            dead[static_cast<size_t>(i)] = true;
            h[i * cols + i] = 1.0;
        }
        mean_diag += h[i * cols + i];
    }
    mean_diag /= static_cast<double>(cols);

    std::vector<int64_t> perm(static_cast<size_t>(cols));
    std::iota(perm.begin(), perm.end(), 0);
    if (options.act_order)
        std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) { return h[a * cols + a] > h[b * cols + b]; });
    std::vector<double> hp(static_cast<size_t>(cols * cols));
    for (int64_t i = 0; i < cols; ++i)
        for (int64_t j = 0; j < cols; ++j) hp[i * cols + j] = h[perm[i] * cols + perm[j]];

    // Dampening keeps H invertible; a Hessian that is still not positive definite gets more.
    std::vector<float> u;
    double damp = options.damp;
    for (int attempt = 0;; ++attempt) {
        std::vector<double> damped = hp;
        for (int64_t i = 0; i < cols; ++i) damped[i * cols + i] += damp * mean_diag;
        if (inverse_cholesky_upper(std::move(damped), cols, u)) break;
        require(attempt < 6, Status::Internal, "GPTQ: the layer's Hessian is not positive definite even damped");
        damp *= 10.0;
        log_warn("GPTQ: Hessian not positive definite, dampening raised to " + std::to_string(damp));
    }

    const int64_t n_groups = (cols + group - 1) / group;
    const int64_t block = std::max<int64_t>(1, options.block);
    const size_t row_bytes = type.row_bytes(cols);
    pool.parallel_for(rows, [&](int64_t r0, int64_t r1) {
        std::vector<float> wp(static_cast<size_t>(cols)), err(static_cast<size_t>(block));
        std::vector<uint8_t> codes(static_cast<size_t>(g.nblocks * g.block), 0);
        std::vector<BlockParams> params(static_cast<size_t>(n_groups));
        std::vector<float> scales(static_cast<size_t>(std::max<int64_t>(n_groups, 1))), mins(scales.size());
        std::vector<float> vals, scratch;
        std::vector<double> vdiag;
        for (int64_t r = r0; r < r1; ++r) {
            const float *row = w + r * cols;
            for (int64_t i = 0; i < cols; ++i) wp[static_cast<size_t>(i)] = dead[static_cast<size_t>(perm[i])] ? 0.0f : row[perm[i]];
            // With act-order the groups are fixed beforehand on the original columns (static
            // groups): a group must stay consecutive columns for the weight type to hold it.
            if (options.act_order)
                for (int64_t gi = 0; gi < n_groups; ++gi) {
                    vals.clear();
                    vdiag.clear();
                    for (int64_t c = gi * group; c < std::min(cols, (gi + 1) * group); ++c) {
                        vals.push_back(dead[static_cast<size_t>(c)] ? 0.0f : row[c]);
                        vdiag.push_back(h[c * cols + c]);
                    }
                    params[static_cast<size_t>(gi)] = group_params(g, vals.data(), static_cast<int64_t>(vals.size()),
                                                                   vdiag.data(), options.clip_grid, scratch);
                }
            for (int64_t i1 = 0; i1 < cols; i1 += block) {
                const int64_t i2 = std::min(cols, i1 + block);
                for (int64_t i = i1; i < i2; ++i) {
                    const int64_t c = perm[i];
                    const int64_t gi = c / group;
                    if (!options.act_order && i % group == 0) {
                        const int64_t n = std::min(group, cols - i);
                        vdiag.resize(static_cast<size_t>(n));
                        for (int64_t k = 0; k < n; ++k) vdiag[static_cast<size_t>(k)] = hp[(i + k) * cols + i + k];
                        params[static_cast<size_t>(gi)] = group_params(g, wp.data() + i, n, vdiag.data(), options.clip_grid, scratch);
                    }
                    const BlockParams p = params[static_cast<size_t>(gi)];
                    const uint8_t code = int_quantize_code(g, wp[static_cast<size_t>(i)], p);
                    codes[static_cast<size_t>(c)] = code;
                    const float e = (wp[static_cast<size_t>(i)] - code_value(g, code, p)) / u[i * cols + i];
                    err[static_cast<size_t>(i - i1)] = e;
                    const float *ui = u.data() + i * cols;
                    for (int64_t j = i + 1; j < i2; ++j) wp[static_cast<size_t>(j)] -= e * ui[j];
                }
                // The batch's errors reach the later columns at once.
                for (int64_t i = i1; i < i2; ++i) {
                    const float e = err[static_cast<size_t>(i - i1)];
                    const float *ui = u.data() + i * cols;
                    for (int64_t j = i2; j < cols; ++j) wp[static_cast<size_t>(j)] -= e * ui[j];
                }
            }
            for (int64_t gi = 0; gi < n_groups; ++gi) {
                scales[static_cast<size_t>(gi)] = params[static_cast<size_t>(gi)].scale;
                mins[static_cast<size_t>(gi)] = params[static_cast<size_t>(gi)].min;
            }
            pack_int_codes_row(type, cols, codes.data(), scales.data(), mins.data(), dst + static_cast<size_t>(r) * row_bytes);
        }
    });
}

double relative_layer_error(const float *w, const float *q, int64_t rows, int64_t cols, const Hessian &hessian) {
    const std::vector<double> &h = hessian.values();
    double num = 0.0, den = 0.0;
    std::vector<double> d(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) d[static_cast<size_t>(c)] = static_cast<double>(w[r * cols + c]) - q[r * cols + c];
        for (int64_t a = 0; a < cols; ++a) {
            double hd = 0.0, hw = 0.0;
            for (int64_t b = 0; b < cols; ++b) {
                hd += h[a * cols + b] * d[static_cast<size_t>(b)];
                hw += h[a * cols + b] * w[r * cols + b];
            }
            num += d[static_cast<size_t>(a)] * hd;
            den += static_cast<double>(w[r * cols + a]) * hw;
        }
    }
    return den > 0.0 ? num / den : 0.0;
}

}  // namespace llmrt
