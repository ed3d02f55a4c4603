#include "runtime/context.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/error.h"

namespace llmrt {
namespace {

int64_t resolve_n_ctx(const Model &model, int64_t requested) {
    // Default: the training length, capped so the cache of a long-context model stays small.
    const int64_t trained = model.hparams().n_ctx_train > 0 ? model.hparams().n_ctx_train : 2048;
    // Checked here, before the members sized from it (KV cache, scratch) are allocated.
    require(requested <= (int64_t{1} << 24), Status::InvalidArgument,
            "n_ctx " + std::to_string(requested) + " is too large (at most " + std::to_string(int64_t{1} << 24) + ")");
    const int64_t max_positions = model.hparams().max_positions;
    require(max_positions == 0 || requested <= max_positions, Status::InvalidArgument,
            "n_ctx " + std::to_string(requested) + " is more than the " + std::to_string(max_positions) +
                " positions this model has learned embeddings for");
    const int64_t fallback = std::min<int64_t>(trained, 4096);
    if (requested > 0) return requested;
    return max_positions > 0 ? std::min(fallback, max_positions) : fallback;
}

}  // namespace

Context::Context(const Model &model, const ContextOptions &options)
    : model_(model),
      n_ctx_(resolve_n_ctx(model, options.n_ctx)),
      n_batch_(std::min<int64_t>(options.n_batch > 0 ? options.n_batch : 512, n_ctx_)),
      logits_all_(options.logits_all),
      pool_(options.n_threads),
      cache_(options.kv_type, model.hparams().n_layer, n_ctx_, model.arch->kv_dim()),
      workspace_(model.arch->workspace_floats(n_batch_, n_ctx_, pool_.size())),
      logits_(static_cast<size_t>((logits_all_ ? n_batch_ : 1) * model.hparams().n_vocab)) {
    // Untouched pages would otherwise be faulted in during the first token.
    std::memset(workspace_.data(), 0, workspace_.size() * sizeof(float));
}

void Context::decode(const int32_t *tokens, int64_t n) {
    require(n > 0, Status::InvalidArgument, "decode needs at least one token");
    require(n_past_ + n <= n_ctx_, Status::ContextFull,
            std::to_string(n) + " tokens do not fit in the context: " + std::to_string(n_past_) +
                " of " + std::to_string(n_ctx_) + " positions are used");
    const int64_t n_vocab = model_.hparams().n_vocab;
    for (int64_t i = 0; i < n; ++i)
        require(tokens[i] >= 0 && tokens[i] < n_vocab, Status::InvalidArgument,
                "token id " + std::to_string(tokens[i]) + " is outside the vocabulary [0, " +
                    std::to_string(n_vocab) + ")");
    // Logits for every token outlive the per-batch buffer (perplexity scores whole chunks).
    if (logits_all_) all_logits_.resize(static_cast<size_t>(n * n_vocab));
    const int64_t start_past = n_past_;
    for (int64_t done = 0; done < n;) {
        if (cancel_requested()) {
            n_past_ = start_past;
            fail(Status::Cancelled, "decode was cancelled");
        }
        const int64_t step = std::min(n_batch_, n - done);
        ForwardBatch batch;
        batch.tokens = tokens + done;
        batch.n = step;
        batch.pos = n_past_;
        batch.all_logits = logits_all_;
        batch.profiler = profiler_.get();
        forward_step(batch);
        if (logits_all_)
            std::memcpy(all_logits_.data() + done * n_vocab, logits_.data(),
                        static_cast<size_t>(step * n_vocab) * sizeof(float));
        n_past_ += step;
        done += step;
    }
    last_n_ = n;
    has_logits_ = true;
}

void Context::forward_step(const ForwardBatch &batch) {
    if (!profiler_) {
        model_.arch->forward(batch, cache_, workspace_.data(), pool_, logits_.data());
        return;
    }
    using Clock = std::chrono::steady_clock;
    profiler_->begin_step(batch.n);
    const Clock::time_point start = Clock::now();
    model_.arch->forward(batch, cache_, workspace_.data(), pool_, logits_.data());
    profiler_->end_step(std::chrono::duration<double>(Clock::now() - start).count(), pool_.take_stats());
}

const float *Context::logits(int64_t i) const {
    if (!has_logits_ || i < 0 || i >= last_n_) return nullptr;
    if (logits_all_) return all_logits_.data() + i * model_.hparams().n_vocab;
    return i == last_n_ - 1 ? logits_.data() : nullptr;
}

void Context::reset() {
    n_past_ = 0;
    last_n_ = 0;
    has_logits_ = false;
    clear_cancel();
}

void Context::set_profiling(bool enabled) {
    profiler_ = enabled ? std::make_unique<Profiler>() : nullptr;
    pool_.set_profiling(enabled);
}

}  // namespace llmrt
