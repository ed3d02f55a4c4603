#include "quant/calibration.h"

#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/log.h"
#include "kernels/weight_types.h"

namespace llmrt {
namespace {

std::string read_text(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    require(in.good(), Status::Io, "cannot open calibration text " + path);
    std::ostringstream all;
    all << in.rdbuf();
    const std::string content = all.str();
    // JSONL: every non-empty line an object with a "text" string; anything else is plain text.
    std::istringstream lines(content);
    std::string line, joined;
    bool jsonl = false;
    while (std::getline(lines, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object() || !j.contains("text") || !j["text"].is_string()) return content;
        joined += j["text"].get<std::string>() + "\n\n";
        jsonl = true;
    }
    return jsonl ? joined : content;
}

// Accumulates the Hessian of one tap of one layer.
class HessianTap final : public TapObserver {
public:
    HessianTap(Tap tap, int64_t layer, Hessian &h, ThreadPool &pool) : tap_(tap), layer_(layer), h_(h), pool_(pool) {}
    void observe(Tap tap, int64_t layer, const float *x, int64_t n, int64_t width) override {
        if (tap != tap_ || layer != layer_) return;
        require(width == h_.cols(), Status::Internal, "a tap's width does not match its linear layers");
        h_.add(x, n, pool_);
    }

private:
    Tap tap_;
    int64_t layer_;
    Hessian &h_;
    ThreadPool &pool_;
};

bool is_int(const QuantFormat &f) { return f.kind == QuantKind::Int4 || f.kind == QuantKind::Int8; }

// A block's linear, as the model holds it now, rounded to nearest (and replaced); with a
// Hessian of its input and clip_grid > 0, after AWQ's clipping search.
void round_block_linear(WeightStore &store, const QuantPlan &plan, const BlockLinear &l, ThreadPool &pool,
                        const Hessian *h = nullptr, int clip_grid = 0) {
    const Matrix &m = *l.matrix;
    const WeightType &type = weight_type_for(*plan.format_for(l.name), plan.options().compute);
    std::vector<float> w = unpack_matrix(m);
    if (h && clip_grid > 0 && type.format()) awq_clip(w.data(), m.rows, m.cols, nullptr, type, *h, clip_grid, pool);
    const size_t row_bytes = type.row_bytes(m.cols);
    AlignedBuffer<uint8_t> packed(row_bytes * static_cast<size_t>(m.rows));
    pool.parallel_for(m.rows, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) type.pack_row(w.data() + r * m.cols, m.cols, packed.data() + r * row_bytes);
    });
    *l.matrix = store.replace(l.name, m, type, std::move(packed));
}

// Per-channel mean |x| and the Hessian of the inputs at each tap of one layer.
class AwqStatsTap final : public TapObserver {
public:
    struct Stats {
        Hessian h;
        std::vector<double> abs_sum;
        explicit Stats(int64_t cols) : h(cols), abs_sum(static_cast<size_t>(cols), 0.0) {}
    };
    AwqStatsTap(int64_t layer, ThreadPool &pool) : layer_(layer), pool_(pool) {}
    void want(Tap tap, int64_t cols) { stats_.emplace(tap, Stats(cols)); }
    Stats *find(Tap tap) {
        auto it = stats_.find(tap);
        return it == stats_.end() ? nullptr : &it->second;
    }
    void observe(Tap tap, int64_t layer, const float *x, int64_t n, int64_t width) override {
        if (layer != layer_) return;
        Stats *s = find(tap);
        if (!s) return;
        require(width == s->h.cols(), Status::Internal, "a tap's width does not match its linear layers");
        s->h.add(x, n, pool_);
        for (int64_t t = 0; t < n; ++t)
            for (int64_t c = 0; c < width; ++c) s->abs_sum[static_cast<size_t>(c)] += std::fabs(x[t * width + c]);
    }

private:
    int64_t layer_;
    ThreadPool &pool_;
    std::map<Tap, Stats> stats_;
};

// One linear layer through GPTQ into `type`, replacing it in the store.
void quantize_linear_with_gptq(WeightStore &store, const BlockLinear &l, const WeightType &type, const Hessian &h,
                               const GptqOptions &options, ThreadPool &pool) {
    const Matrix &m = *l.matrix;
    const std::vector<float> w = unpack_matrix(m);
    AlignedBuffer<uint8_t> packed(type.row_bytes(m.cols) * static_cast<size_t>(m.rows));
    gptq_quantize(w.data(), m.rows, m.cols, h, type, options, packed.data(), pool);
    *l.matrix = store.replace(l.name, m, type, std::move(packed));
}

}  // namespace

std::vector<float> unpack_matrix(const Matrix &m) {
    std::vector<float> w(static_cast<size_t>(m.rows * m.cols));
    for (int64_t r = 0; r < m.rows; ++r) m.type->unpack_row(m.row(r), m.cols, w.data() + r * m.cols);
    return w;
}

void round_remaining(WeightStore &store, const QuantPlan &plan, ThreadPool &pool) {
    for (const StoredTensor &t : std::vector<StoredTensor>(store.tensors())) {
        if (t.type_name != "f32" || t.shape.size() != 2) continue;
        const std::optional<QuantFormat> f = plan.format_for(t.name);
        if (!f) continue;
        Matrix m;
        m.rows = t.shape[0];
        m.cols = t.shape[1];
        m.type = &weight_type_f32();
        m.data = t.data;
        const WeightType &type = weight_type_for(*f, plan.options().compute);
        AlignedBuffer<uint8_t> packed(type.row_bytes(m.cols) * static_cast<size_t>(m.rows));
        const size_t row_bytes = type.row_bytes(m.cols);
        pool.parallel_for(m.rows, [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; ++r)
                type.pack_row(reinterpret_cast<const float *>(t.data) + r * m.cols, m.cols, packed.data() + r * row_bytes);
        });
        store.replace(t.name, m, type, std::move(packed));
    }
}

std::vector<std::vector<int32_t>> calibration_samples(const Tokenizer &tokenizer, const CalibrationOptions &o) {
    require(o.n_samples > 0 && o.seq_len > 1, Status::InvalidArgument,
            "calibration needs at least one sample of at least two tokens");
    const std::vector<int32_t> ids = tokenizer.encode(read_text(o.path), false);
    const bool bos = tokenizer.bos() >= 0;
    const int64_t body = o.seq_len - (bos ? 1 : 0);
    require(static_cast<int64_t>(ids.size()) >= body, Status::InvalidArgument,
            o.path + " has " + std::to_string(ids.size()) + " tokens, fewer than one sample of " +
                std::to_string(o.seq_len));
    std::mt19937_64 rng(o.seed);
    std::uniform_int_distribution<int64_t> start(0, static_cast<int64_t>(ids.size()) - body);
    std::vector<std::vector<int32_t>> samples;
    for (int64_t s = 0; s < o.n_samples; ++s) {
        std::vector<int32_t> sample;
        if (bos) sample.push_back(tokenizer.bos());
        const int64_t at = start(rng);
        sample.insert(sample.end(), ids.begin() + at, ids.begin() + at + body);
        samples.push_back(std::move(sample));
    }
    return samples;
}

BlockRunner::BlockRunner(Model &model, const std::vector<std::vector<int32_t>> &samples, int n_threads)
    : arch_(*model.arch),
      samples_(samples),
      seq_(samples.empty() ? 0 : static_cast<int64_t>(samples.front().size())),
      d_(arch_.hparams().n_embd),
      pool_(n_threads),
      cache_(KvType::F32, arch_.hparams().n_layer, seq_, arch_.kv_dim(), arch_.hparams().head_dim),
      ws_(arch_.workspace_floats(seq_, seq_, pool_.size())),
      x_(samples.size() * static_cast<size_t>(seq_ * d_)),
      tmp_(static_cast<size_t>(seq_ * d_)) {
    require(!samples.empty(), Status::InvalidArgument, "calibration needs samples");
    for (size_t s = 0; s < samples.size(); ++s) arch_.embed(batch_of(s, nullptr), x_.data() + s * seq_ * d_);
}

ForwardBatch BlockRunner::batch_of(size_t s, TapObserver *taps) const {
    ForwardBatch b;
    b.tokens = samples_[s].data();
    b.n = seq_;
    b.pos = 0;
    b.taps = taps;
    return b;
}

void report_progress(const std::function<bool(float, const std::string &)> &progress, float fraction,
                     const std::string &what) {
    if (progress && !progress(fraction, what)) fail(Status::Cancelled, "quantization was cancelled");
}

SampleProgress sample_progress(const std::function<bool(float, const std::string &)> &progress, int64_t layer,
                               int64_t n_layer, const std::string &what) {
    if (!progress) return {};
    const float fraction = static_cast<float>(layer) / static_cast<float>(n_layer);
    return [&progress, fraction, what](size_t done, size_t total) {
        report_progress(progress, fraction, what + ", sample " + std::to_string(done) + "/" + std::to_string(total));
    };
}

void BlockRunner::observe(int64_t layer, TapObserver &taps, const SampleProgress &each) {
    for (size_t s = 0; s < samples_.size(); ++s) {
        std::copy(input(s), input(s) + seq_ * d_, tmp_.begin());
        arch_.forward_block(layer, batch_of(s, &taps), cache_, tmp_.data(), ws_.data(), pool_);
        if (each) each(s + 1, samples_.size());
    }
}

void BlockRunner::advance(int64_t layer, const SampleProgress &each) {
    for (size_t s = 0; s < samples_.size(); ++s) {
        arch_.forward_block(layer, batch_of(s, nullptr), cache_, x_.data() + s * seq_ * d_, ws_.data(), pool_);
        if (each) each(s + 1, samples_.size());
    }
}

void quantize_with_gptq(Model &model, const QuantPlan &plan, const std::vector<std::vector<int32_t>> &samples,
                        const GptqOptions &options, int n_threads,
                        const std::function<bool(float, const std::string &)> &progress) {
    require(!samples.empty(), Status::InvalidArgument, "GPTQ needs calibration samples");
    Architecture &arch = *model.arch;
    WeightStore &store = *model.weights;
    const HyperParams &hp = arch.hparams();
    const int64_t d = hp.n_embd;
    BlockRunner runner(model, samples, n_threads);
    ThreadPool &pool = runner.pool();

    const Tap order[] = {Tap::AttnInput, Tap::AttnOutInput, Tap::MlpInput, Tap::DownInput};
    for (int64_t il = 0; il < hp.n_layer; ++il) {
        const std::vector<BlockLinear> linears = arch.block_linears(il);
        for (Tap tap : order) {
            std::vector<const BlockLinear *> group;
            for (const BlockLinear &l : linears)
                if (l.input == tap && l.matrix->type->format() == nullptr) {
                    const std::optional<QuantFormat> f = plan.format_for(l.name);
                    if (f && is_int(*f)) group.push_back(&l);
                }
            if (group.empty()) continue;
            report_progress(progress, static_cast<float>(il) / static_cast<float>(hp.n_layer),
                                      "block " + std::to_string(il) + ", " + tap_name(tap));
            // This tap's inputs, with the block's earlier linears already quantized.
            Hessian h(group.front()->matrix->cols);
            HessianTap observer(tap, il, h, pool);
            runner.observe(il, observer,
                           sample_progress(progress, il, hp.n_layer, "block " + std::to_string(il) + ", " + tap_name(tap)));
            for (const BlockLinear *l : group)
                quantize_linear_with_gptq(store, *l, weight_type_for(*plan.format_for(l->name), plan.options().compute), h,
                                          options, pool);
        }
        // The next block's inputs, from this block quantized.
        runner.advance(il, sample_progress(progress, il, hp.n_layer, "block " + std::to_string(il) + ", outputs"));
    }

    // The output head, from the final norm of the last block's outputs (unless it is the
    // embedding table, which is also read row by row).
    const BlockLinear head = arch.output_linear();
    if (head.matrix && head.matrix->type->format() == nullptr) {
        const std::optional<QuantFormat> f = plan.format_for(head.name);
        if (f && is_int(*f)) {
            report_progress(progress, 1.0f, "output head");
            Hessian h(d);
            std::vector<float> normed(static_cast<size_t>(runner.seq_len() * d));
            for (size_t s = 0; s < runner.n_samples(); ++s) {
                arch.final_norm(runner.input(s), runner.seq_len(), normed.data());
                h.add(normed.data(), runner.seq_len(), pool);
            }
            quantize_linear_with_gptq(store, head, weight_type_for(*f, plan.options().compute), h, options, pool);
        }
    }

    // Every other matrix the plan quantizes (embeddings, a tied head, experts): round to nearest.
    round_remaining(store, plan, pool);
    report_progress(progress, 1.0f, "calibrated");
}

void quantize_with_awq(Model &model, const QuantPlan &plan, const std::vector<std::vector<int32_t>> &samples,
                       const AwqOptions &options, int n_threads,
                       const std::function<bool(float, const std::string &)> &progress) {
    require(!samples.empty(), Status::InvalidArgument, "AWQ needs calibration samples");
    Architecture &arch = *model.arch;
    WeightStore &store = *model.weights;
    const HyperParams &hp = arch.hparams();
    const int64_t seq = static_cast<int64_t>(samples.front().size());
    BlockRunner runner(model, samples, n_threads);
    ThreadPool &pool = runner.pool();

    // Later groups first: down's scales fold into up's rows while up is still f32.
    const Tap order[] = {Tap::DownInput, Tap::MlpInput, Tap::AttnInput};
    for (int64_t il = 0; il < hp.n_layer; ++il) {
        report_progress(progress, static_cast<float>(il) / static_cast<float>(hp.n_layer), "block " + std::to_string(il));
        const std::vector<BlockLinear> linears = arch.block_linears(il);
        auto at = [&](Tap tap) {
            std::vector<const BlockLinear *> group;
            for (const BlockLinear &l : linears)
                if (l.input == tap) group.push_back(&l);
            return group;
        };
        // Which groups AWQ can scale: all their linears quantized by the plan, still f32, and a
        // place to fold the scales into.
        AwqStatsTap stats(il, pool);
        for (Tap tap : order) {
            const std::vector<const BlockLinear *> group = at(tap);
            if (group.empty()) continue;
            bool all = true;
            for (const BlockLinear *l : group)
                all = all && l->matrix->type->format() == nullptr && l->matrix->type->name() == "f32" &&
                      plan.format_for(l->name).has_value();
            if (!all) continue;
            if (!arch.scale_block_input(il, tap, nullptr)) {
                log_info("awq: block " + std::to_string(il) + ", " + tap_name(tap) +
                         ": no op to fold scales into, round to nearest");
                continue;
            }
            stats.want(tap, group.front()->matrix->cols);
        }
        // o is not scaled (its input's channels follow the heads) but may be clipped.
        if (options.n_clip_grid > 0)
            for (const BlockLinear *l : at(Tap::AttnOutInput))
                if (l->matrix->type->name() == "f32" && plan.format_for(l->name) && !stats.find(Tap::AttnOutInput))
                    stats.want(Tap::AttnOutInput, l->matrix->cols);
        runner.observe(il, stats, sample_progress(progress, il, hp.n_layer, "block " + std::to_string(il) + ", inputs"));
        const double rows_seen = static_cast<double>(samples.size()) * static_cast<double>(seq);
        for (Tap tap : order) {
            AwqStatsTap::Stats *st = stats.find(tap);
            if (!st) continue;
            const std::vector<const BlockLinear *> group = at(tap);
            const int64_t cols = group.front()->matrix->cols;
            std::vector<double> mean_abs(st->abs_sum.size());
            for (size_t c = 0; c < mean_abs.size(); ++c) mean_abs[c] = st->abs_sum[c] / rows_seen;
            std::vector<std::vector<float>> weights;
            std::vector<AwqLinear> awq;
            weights.reserve(group.size());
            for (const BlockLinear *l : group) {
                weights.push_back(unpack_matrix(*l->matrix));  // after any folding into its rows
                awq.push_back({weights.back().data(), l->matrix->rows,
                               &weight_type_for(*plan.format_for(l->name), plan.options().compute)});
            }
            const AwqResult r = awq_search(awq, cols, mean_abs, st->h, options, pool);
            log_info("awq: block " + std::to_string(il) + ", " + tap_name(tap) + ": alpha " + std::to_string(r.alpha) +
                     ", output error " + std::to_string(r.error) + " (round to nearest " + std::to_string(r.rtn_error) +
                     ")");
            if (r.alpha > 0.0) {
                std::vector<float> inv(r.scales.size());
                for (size_t c = 0; c < inv.size(); ++c) inv[c] = 1.0f / r.scales[c];
                require(arch.scale_block_input(il, tap, inv.data()), Status::Internal,
                        "AWQ scales could not be folded although the architecture said they could");
            }
            for (size_t i = 0; i < group.size(); ++i) {
                const BlockLinear &l = *group[i];
                const Matrix &m = *l.matrix;
                const WeightType &type = *awq[i].type;
                std::vector<float> &w = weights[i];
                for (int64_t rr = 0; rr < m.rows; ++rr)
                    for (int64_t c = 0; c < m.cols; ++c) w[static_cast<size_t>(rr * m.cols + c)] *= r.scales[static_cast<size_t>(c)];
                // The clipping search; not on q/k/v, whose errors attention's softmax amplifies
                // (as the reference implementation skips q and k).
                if (options.n_clip_grid > 0 && (options.clip_attention || tap != Tap::AttnInput) && type.format()) {
                    const std::pair<double, double> e =
                        awq_clip(w.data(), m.rows, m.cols, r.scales.data(), type, st->h, options.n_clip_grid, pool);
                    log_info("awq: " + l.name + ": clipping, group error " + std::to_string(e.first) + " -> " +
                             std::to_string(e.second));
                }
                const size_t row_bytes = type.row_bytes(m.cols);
                AlignedBuffer<uint8_t> packed(row_bytes * static_cast<size_t>(m.rows));
                pool.parallel_for(m.rows, [&](int64_t r0, int64_t r1) {
                    for (int64_t rr = r0; rr < r1; ++rr) type.pack_row(w.data() + rr * m.cols, m.cols, packed.data() + rr * row_bytes);
                });
                *l.matrix = store.replace(l.name, m, type, std::move(packed));
            }
        }
        // The rest of the block (o, groups AWQ could not scale): round to nearest.
        for (const BlockLinear &l : linears)
            if (l.matrix->type->name() == "f32" && plan.format_for(l.name)) {
                AwqStatsTap::Stats *st = stats.find(l.input);
                round_block_linear(store, plan, l, pool, st ? &st->h : nullptr, options.n_clip_grid);
            }
        // The next block's inputs, from this block quantized.
        runner.advance(il, sample_progress(progress, il, hp.n_layer, "block " + std::to_string(il) + ", outputs"));
    }
    round_remaining(store, plan, pool);
    report_progress(progress, 1.0f, "calibrated");
}

}  // namespace llmrt
