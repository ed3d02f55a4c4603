#include "quant/smoothquant.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/aligned_buffer.h"
#include "core/error.h"
#include "core/log.h"
#include "kernels/matmul.h"
#include "quant/calibration.h"

namespace llmrt {
namespace {

// Per-channel max |x| of every input of one block, and up to `keep` of its rows at an even stride
// over all calibration tokens (what the alpha search and a percentile are evaluated on).
class SmoothStatsTap final : public TapObserver {
public:
    struct Stats {
        std::vector<float> absmax;
        std::vector<float> rows;  // kept rows, cols each
        int64_t seen = 0;
    };
    SmoothStatsTap(int64_t layer, int64_t keep, int64_t stride) : layer_(layer), keep_(keep), stride_(stride) {}
    void want(Tap tap, int64_t cols) { stats_[tap].absmax.assign(static_cast<size_t>(cols), 0.0f); }
    Stats *find(Tap tap) {
        auto it = stats_.find(tap);
        return it == stats_.end() ? nullptr : &it->second;
    }
    void observe(Tap tap, int64_t layer, const float *x, int64_t n, int64_t width) override {
        if (layer != layer_) return;
        Stats *s = find(tap);
        if (!s) return;
        require(width == static_cast<int64_t>(s->absmax.size()), Status::Internal,
                "a tap's width does not match its linear layers");
        for (int64_t t = 0; t < n; ++t, ++s->seen) {
            const float *row = x + t * width;
            for (int64_t c = 0; c < width; ++c)
                s->absmax[static_cast<size_t>(c)] = std::max(s->absmax[static_cast<size_t>(c)], std::fabs(row[c]));
            if (s->seen % stride_ == 0 && static_cast<int64_t>(s->rows.size()) < keep_ * width)
                s->rows.insert(s->rows.end(), row, row + width);
        }
    }

private:
    int64_t layer_, keep_, stride_;
    std::map<Tap, Stats> stats_;
};

// rows x cols weights w with column c multiplied by s[c], packed into `type`.
AlignedBuffer<uint8_t> pack_scaled(const float *w, int64_t rows, int64_t cols, const float *s, const WeightType &type,
                                   ThreadPool &pool) {
    const size_t row_bytes = type.row_bytes(cols);
    AlignedBuffer<uint8_t> packed(row_bytes * static_cast<size_t>(rows));
    pool.parallel_for(rows, [&](int64_t r0, int64_t r1) {
        std::vector<float> scaled(static_cast<size_t>(cols));
        for (int64_t r = r0; r < r1; ++r) {
            for (int64_t c = 0; c < cols; ++c) scaled[static_cast<size_t>(c)] = w[r * cols + c] * s[c];
            type.pack_row(scaled.data(), cols, packed.data() + static_cast<size_t>(r) * row_bytes);
        }
    });
    return packed;
}

std::vector<double> alpha_grid(const SmoothQuantOptions &o) {
    if (!o.auto_alpha) return {o.alpha};
    std::vector<double> grid;
    for (int k = 0;; ++k) {
        const double a = o.alpha_min + k * o.alpha_step;
        if (a > o.alpha_max + 1e-3 * o.alpha_step) break;  // float grids (C API) land just past max
        grid.push_back(a);
    }
    return grid;
}

// The activation amax a layer is computed with (Matrix::act_amax) for inputs smoothed by s.
float act_amax_for(const SmoothQuantOptions &o, const std::vector<float> &absmax, const float *s, const float *x,
                   int64_t n, int64_t cols) {
    return o.static_act ? static_act_amax(absmax, s, x, n, cols, o.act_percentile) : kActPerToken;
}

// The group's criterion (mean or max of its layers' relative errors) with scales s.
double group_error(const std::vector<SmoothLinear> &group, const std::vector<const WeightType *> &types, int64_t cols,
                   const std::vector<float> &absmax, const float *s, const float *x, int64_t n,
                   const SmoothQuantOptions &o, ThreadPool &pool) {
    const float amax = act_amax_for(o, absmax, s, x, n, cols);
    double total = 0.0, worst = 0.0;
    int counted = 0;
    for (size_t i = 0; i < group.size(); ++i) {
        if (!types[i]) continue;  // kept in f32: no error
        const double e = w8a8_error(group[i], cols, s, x, n, *types[i], amax, pool);
        total += e;
        worst = std::max(worst, e);
        ++counted;
    }
    if (counted == 0) return 0.0;
    return o.criterion_max ? worst : total / counted;
}

}  // namespace

std::vector<float> smooth_scales(const std::vector<SmoothLinear> &group, int64_t cols,
                                 const std::vector<float> &act_absmax, double alpha) {
    require(static_cast<int64_t>(act_absmax.size()) == cols, Status::Internal, "smoothing: widths differ");
    std::vector<float> wmax(static_cast<size_t>(cols), 0.0f);
    for (const SmoothLinear &l : group)
        for (int64_t r = 0; r < l.rows; ++r)
            for (int64_t c = 0; c < cols; ++c)
                wmax[static_cast<size_t>(c)] = std::max(wmax[static_cast<size_t>(c)], std::fabs(l.w[r * cols + c]));
    std::vector<float> s(static_cast<size_t>(cols), 1.0f);
    for (size_t c = 0; c < s.size(); ++c) {
        if (!(act_absmax[c] > 0.0f) || !(wmax[c] > 0.0f)) continue;
        const double v = std::pow(static_cast<double>(act_absmax[c]), alpha) /
                         std::pow(static_cast<double>(wmax[c]), 1.0 - alpha);
        // A scale f32 cannot hold (or whose inverse it cannot) would turn the folded norm into inf or 0.
        if (std::isfinite(v) && v > 1e-30 && v < 1e30) s[c] = static_cast<float>(v);
    }
    return s;
}

double w8a8_error(const SmoothLinear &layer, int64_t cols, const float *s, const float *x, int64_t n,
                  const WeightType &type, float act_amax, ThreadPool &pool) {
    if (n <= 0 || layer.rows <= 0) return 0.0;
    Matrix exact;
    exact.type = &weight_type_f32();
    exact.rows = layer.rows;
    exact.cols = cols;
    exact.data = reinterpret_cast<const uint8_t *>(layer.w);
    std::vector<float> y(static_cast<size_t>(n * layer.rows)), yq(y.size());
    matmul(exact, x, n, y.data(), pool);

    const AlignedBuffer<uint8_t> packed = pack_scaled(layer.w, layer.rows, cols, s, type, pool);
    Matrix q;
    q.type = &type;
    q.rows = layer.rows;
    q.cols = cols;
    q.data = packed.data();
    q.act_amax = act_amax;
    std::vector<float> xs(static_cast<size_t>(n * cols));
    for (int64_t t = 0; t < n; ++t)
        for (int64_t c = 0; c < cols; ++c) xs[static_cast<size_t>(t * cols + c)] = x[t * cols + c] / s[c];
    matmul(q, xs.data(), n, yq.data(), pool);

    double err = 0.0, ref = 0.0;
    for (size_t i = 0; i < y.size(); ++i) {
        const double d = static_cast<double>(y[i]) - static_cast<double>(yq[i]);
        err += d * d;
        ref += static_cast<double>(y[i]) * static_cast<double>(y[i]);
    }
    return ref > 0.0 ? err / ref : err;
}

float static_act_amax(const std::vector<float> &act_absmax, const float *s, const float *x, int64_t n, int64_t cols,
                      double percentile) {
    if (percentile >= 100.0 || n <= 0) {
        float m = 0.0f;
        for (int64_t c = 0; c < cols; ++c) m = std::max(m, act_absmax[static_cast<size_t>(c)] / s[c]);
        return m > 0.0f ? m : 1.0f;  // an input that is all zeros: any scale gives zeros
    }
    std::vector<float> v(static_cast<size_t>(n * cols));
    for (int64_t t = 0; t < n; ++t)
        for (int64_t c = 0; c < cols; ++c) v[static_cast<size_t>(t * cols + c)] = std::fabs(x[t * cols + c] / s[c]);
    const size_t k = std::min(v.size() - 1, static_cast<size_t>(std::ceil(percentile / 100.0 * static_cast<double>(v.size()))));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k] > 0.0f ? v[k] : 1.0f;
}

SmoothChoice smooth_choose(const std::vector<SmoothLinear> &group, const std::vector<const WeightType *> &types,
                           int64_t cols, const std::vector<float> &act_absmax, const float *x, int64_t n,
                           const SmoothQuantOptions &options, ThreadPool &pool) {
    require(types.size() == group.size(), Status::Internal, "smoothing: one type per layer");
    const std::vector<float> ones(static_cast<size_t>(cols), 1.0f);
    SmoothChoice best;
    best.unsmoothed_error = group_error(group, types, cols, act_absmax, ones.data(), x, n, options, pool);
    bool first = true;
    for (double a : alpha_grid(options)) {
        std::vector<float> s = smooth_scales(group, cols, act_absmax, a);
        // A fixed alpha needs no error, but it is what the log reports.
        const double e = group_error(group, types, cols, act_absmax, s.data(), x, n, options, pool);
        if (first || e < best.error) {
            best.scales = std::move(s);
            best.alpha = a;
            best.error = e;
            first = false;
        }
    }
    return best;
}

void quantize_with_smoothquant(Model &model, const QuantPlan &plan, const std::vector<std::vector<int32_t>> &samples,
                               const SmoothQuantOptions &options, int n_threads,
                               const std::function<bool(float, const std::string &)> &progress) {
    require(!samples.empty(), Status::InvalidArgument, "SmoothQuant needs calibration samples");
    require(!options.auto_alpha || (options.alpha_step > 0.0 && options.alpha_min <= options.alpha_max),
            Status::InvalidArgument, "SmoothQuant's alpha search needs alpha_min <= alpha_max and alpha_step > 0");
    require(options.act_percentile > 0.0 && options.act_percentile <= 100.0, Status::InvalidArgument,
            "SmoothQuant's activation percentile must be in (0, 100]");
    Architecture &arch = *model.arch;
    WeightStore &store = *model.weights;
    const HyperParams &hp = arch.hparams();
    BlockRunner runner(model, samples, n_threads);
    ThreadPool &pool = runner.pool();
    const int64_t total_rows = static_cast<int64_t>(samples.size()) * runner.seq_len();
    const int64_t keep = std::max<int64_t>(1, options.sample_rows);
    const int64_t stride = std::max<int64_t>(1, total_rows / keep);

    // Later groups first: down's scales fold into up's rows while up is still f32.
    const Tap order[] = {Tap::DownInput, Tap::MlpInput, Tap::AttnInput, Tap::AttnOutInput};
    for (int64_t il = 0; il < hp.n_layer; ++il) {
        report_progress(progress, static_cast<float>(il) / static_cast<float>(hp.n_layer), "block " + std::to_string(il));
        const std::vector<BlockLinear> linears = arch.block_linears(il);
        auto at = [&](Tap tap) {
            std::vector<const BlockLinear *> group;
            for (const BlockLinear &l : linears)
                if (l.input == tap && l.matrix->type->name() == "f32") group.push_back(&l);
            return group;
        };
        SmoothStatsTap stats(il, keep, stride);
        for (Tap tap : order)
            if (!at(tap).empty()) stats.want(tap, at(tap).front()->matrix->cols);
        runner.observe(il, stats, sample_progress(progress, il, hp.n_layer, "block " + std::to_string(il) + ", inputs"));

        for (Tap tap : order) {
            const std::vector<const BlockLinear *> group = at(tap);
            SmoothStatsTap::Stats *st = stats.find(tap);
            if (group.empty() || !st) continue;
            const int64_t cols = group.front()->matrix->cols;
            const int64_t n = static_cast<int64_t>(st->rows.size()) / cols;
            std::vector<std::vector<float>> weights;
            std::vector<SmoothLinear> smooth;
            std::vector<const WeightType *> types;  // nullptr: kept in f32
            weights.reserve(group.size());
            for (const BlockLinear *l : group) {
                weights.push_back(unpack_matrix(*l->matrix));  // after any folding into its rows
                smooth.push_back({weights.back().data(), l->matrix->rows});
                const std::optional<QuantFormat> f = plan.format_for(l->name);
                types.push_back(f ? &weight_type_for(*f, plan.options().compute) : nullptr);
            }
            // o's input channels follow the heads, which nothing before it can scale. A group kept
            // wholly in f32 is smoothed too (exactly: what tests check the folding with).
            const bool can_fold = tap != Tap::AttnOutInput && arch.scale_block_input(il, tap, nullptr);
            std::vector<float> s(static_cast<size_t>(cols), 1.0f);
            if (can_fold) {
                SmoothChoice c = smooth_choose(smooth, types, cols, st->absmax, st->rows.data(), n, options, pool);
                log_info("smoothquant: block " + std::to_string(il) + ", " + tap_name(tap) + ": alpha " +
                         std::to_string(c.alpha) + ", W8A8 error " + std::to_string(c.error) + " (unsmoothed " +
                         std::to_string(c.unsmoothed_error) + ")");
                s = std::move(c.scales);
                std::vector<float> inv(s.size());
                for (size_t k = 0; k < inv.size(); ++k) inv[k] = 1.0f / s[k];
                require(arch.scale_block_input(il, tap, inv.data()), Status::Internal,
                        "smoothing scales could not be folded although the architecture said they could");
            } else if (tap != Tap::AttnOutInput) {
                log_info("smoothquant: block " + std::to_string(il) + ", " + tap_name(tap) +
                         ": no op to fold scales into, W8A8 unsmoothed");
            }
            const float amax = act_amax_for(options, st->absmax, s.data(), st->rows.data(), n, cols);
            for (size_t i = 0; i < group.size(); ++i) {
                const BlockLinear &l = *group[i];
                const WeightType &type = types[i] ? *types[i] : weight_type_f32();
                AlignedBuffer<uint8_t> packed = pack_scaled(weights[i].data(), l.matrix->rows, cols, s.data(), type, pool);
                *l.matrix = store.replace(l.name, *l.matrix, type, std::move(packed));
                if (types[i]) {
                    l.matrix->act_amax = amax;
                    store.set_act_amax(l.name, amax);
                }
            }
        }
        // The next block's inputs, from this block smoothed and quantized.
        runner.advance(il, sample_progress(progress, il, hp.n_layer, "block " + std::to_string(il) + ", outputs"));
    }
    round_remaining(store, plan, pool);
    report_progress(progress, 1.0f, "calibrated");
}

}  // namespace llmrt
