#include "runtime/context.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
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

// Checked before the cache (n_seq_max slabs of n_ctx positions) is allocated.
int64_t resolve_n_seq(int64_t requested) {
    require(requested >= 1 && requested <= kMaxSequences, Status::InvalidArgument,
            "n_seq_max " + std::to_string(requested) + " is not in [1, " + std::to_string(kMaxSequences) + "]");
    return requested;
}

}  // namespace

Context::Context(const Model &model, const ContextOptions &options)
    : model_(model),
      n_ctx_(resolve_n_ctx(model, options.n_ctx)),
      n_seq_max_(resolve_n_seq(options.n_seq_max)),
      // Several sequences may evaluate more than n_ctx tokens in one step.
      n_batch_(std::min<int64_t>(options.n_batch > 0 ? options.n_batch : 512, n_ctx_ * n_seq_max_)),
      logits_all_(options.logits_all),
      pool_(options.n_threads),
      cache_(options.kv_type, model.hparams().n_layer, n_ctx_, model.arch->kv_dim(), model.hparams().head_dim,
             n_seq_max_),
      workspace_(model.arch->workspace_floats(n_batch_, n_ctx_, pool_.size())),
      logits_(static_cast<size_t>((logits_all_ ? n_batch_ : 1) * model.hparams().n_vocab)) {
    // Untouched pages would otherwise be faulted in during the first token.
    std::memset(workspace_.data(), 0, workspace_.size() * sizeof(float));
    tokens_.reserve(static_cast<size_t>(n_ctx_));  // far smaller than the cache
    other_seqs_.resize(static_cast<size_t>(cache_.n_seq() - 1));
    for (std::vector<int32_t> &ids : other_seqs_) ids.reserve(static_cast<size_t>(n_ctx_));
}

void Context::decode(const int32_t *tokens, int64_t n, bool all_logits) {
    require(n > 0, Status::InvalidArgument, "decode needs at least one token");
    require(n_past_ + n <= n_ctx_, Status::ContextFull,
            std::to_string(n) + " tokens do not fit in the context: " + std::to_string(n_past_) +
                " of " + std::to_string(n_ctx_) + " positions are used");
    const int64_t n_vocab = model_.hparams().n_vocab;
    for (int64_t i = 0; i < n; ++i)
        require(tokens[i] >= 0 && tokens[i] < n_vocab, Status::InvalidArgument,
                "token id " + std::to_string(tokens[i]) + " is outside the vocabulary [0, " +
                    std::to_string(n_vocab) + ")");
    const bool keep_all = logits_all_ || all_logits;
    // A scoring call on a context made without logits_all: its per-batch buffer grows once.
    if (keep_all && logits_.size() < static_cast<size_t>(n_batch_ * n_vocab))
        logits_ = AlignedBuffer<float>(static_cast<size_t>(n_batch_ * n_vocab));
    // Logits for every token outlive the per-batch buffer (perplexity scores whole chunks).
    if (keep_all) all_logits_.resize(static_cast<size_t>(n * n_vocab));
    has_logits_ = false;
    const int64_t start_past = n_past_;
    for (int64_t done = 0; done < n;) {
        if (cancel_requested()) {
            n_past_ = start_past;
            tokens_.resize(static_cast<size_t>(start_past));
            fail(Status::Cancelled, "decode was cancelled");
        }
        const int64_t step = std::min(n_batch_, n - done);
        ForwardBatch batch;
        batch.tokens = tokens + done;
        batch.n = step;
        batch.pos = n_past_;
        batch.all_logits = keep_all;
        batch.profiler = profiler_.get();
        forward_step(batch);
        if (keep_all)
            std::memcpy(all_logits_.data() + done * n_vocab, logits_.data(),
                        static_cast<size_t>(step * n_vocab) * sizeof(float));
        tokens_.insert(tokens_.end(), tokens + done, tokens + done + step);
        n_past_ += step;
        done += step;
    }
    last_n_ = n;
    last_all_logits_ = keep_all;
    logit_index_.clear();  // every row of this call has its logits (when keep_all)
    has_logits_ = true;
}

void Context::check_seq(int64_t seq) const {
    require(seq >= 0 && seq < n_seq_max(), Status::InvalidArgument,
            "sequence id " + std::to_string(seq) + " is not in [0, " + std::to_string(n_seq_max()) +
                ") (the context's n_seq_max)");
}

int64_t Context::seq_n_past(int64_t seq) const {
    check_seq(seq);
    return seq == 0 ? n_past_ : static_cast<int64_t>(other_seqs_[static_cast<size_t>(seq - 1)].size());
}

void Context::set_seq_length(int64_t seq, int64_t n) {
    seq_ids_of(seq).resize(static_cast<size_t>(n));
    if (seq == 0) n_past_ = n;
}

void Context::decode_multi(const int32_t *tokens, const int32_t *seq_ids, int64_t n, const int8_t *want_logits) {
    require(n > 0, Status::InvalidArgument, "decode needs at least one token");
    const int64_t n_vocab = model_.hparams().n_vocab;
    // Every check before anything is evaluated, so a refused call changes nothing.
    std::vector<int64_t> start(static_cast<size_t>(n_seq_max()));
    for (int64_t s = 0; s < n_seq_max(); ++s) start[static_cast<size_t>(s)] = seq_n_past(s);
    std::vector<int64_t> next = start;
    multi_positions_.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        check_seq(seq_ids[i]);
        require(tokens[i] >= 0 && tokens[i] < n_vocab, Status::InvalidArgument,
                "token id " + std::to_string(tokens[i]) + " is outside the vocabulary [0, " +
                    std::to_string(n_vocab) + ")");
        int64_t &pos = next[static_cast<size_t>(seq_ids[i])];
        require(pos < n_ctx_, Status::ContextFull,
                "sequence " + std::to_string(seq_ids[i]) + " is full: its tokens of this call do not fit in " +
                    std::to_string(n_ctx_) + " positions (" + std::to_string(start[static_cast<size_t>(seq_ids[i])]) +
                    " are used)");
        multi_positions_[static_cast<size_t>(i)] = pos++;
    }
    if (logits_.size() < static_cast<size_t>(n_batch_ * n_vocab))
        logits_ = AlignedBuffer<float>(static_cast<size_t>(n_batch_ * n_vocab));
    logit_index_.assign(static_cast<size_t>(n), -1);
    int64_t n_kept = 0;
    for (int64_t i = 0; i < n; ++i)
        if (!want_logits || want_logits[i]) logit_index_[static_cast<size_t>(i)] = n_kept++;
    all_logits_.resize(static_cast<size_t>(n_kept * n_vocab));
    has_logits_ = false;
    for (int64_t done = 0, kept = 0; done < n;) {
        if (cancel_requested()) {
            for (int64_t s = 0; s < n_seq_max(); ++s) set_seq_length(s, start[static_cast<size_t>(s)]);
            fail(Status::Cancelled, "decode was cancelled");
        }
        const int64_t step = std::min(n_batch_, n - done);
        ForwardBatch batch;
        batch.tokens = tokens + done;
        batch.n = step;
        batch.all_logits = true;
        batch.profiler = profiler_.get();
        batch.seq_ids = seq_ids + done;
        batch.positions = multi_positions_.data() + done;
        logit_rows_.clear();
        for (int64_t i = 0; i < step; ++i)
            if (logit_index_[static_cast<size_t>(done + i)] >= 0) logit_rows_.push_back(i);
        batch.logit_rows = logit_rows_.data();
        batch.n_logit_rows = static_cast<int64_t>(logit_rows_.size());
        forward_step(batch);
        std::memcpy(all_logits_.data() + kept * n_vocab, logits_.data(),
                    static_cast<size_t>(batch.n_logit_rows * n_vocab) * sizeof(float));
        kept += batch.n_logit_rows;
        for (int64_t i = done; i < done + step; ++i) {
            seq_ids_of(seq_ids[i]).push_back(tokens[i]);
            if (seq_ids[i] == 0) ++n_past_;
        }
        done += step;
    }
    last_n_ = n;
    last_all_logits_ = true;
    has_logits_ = true;
}

void Context::seq_remove(int64_t seq) {
    check_seq(seq);
    set_seq_length(seq, 0);
}

void Context::seq_copy(int64_t src, int64_t dst, int64_t shared) {
    check_seq(src);
    check_seq(dst);
    if (src == dst) return;
    const int64_t n = seq_n_past(src);
    require(shared >= 0 && shared <= std::min(n, seq_n_past(dst)), Status::Internal, "seq_copy: shared is too long");
    cache_.copy_seq(src, dst, shared, n);
    seq_ids_of(dst) = seq_ids_of(src);
    if (dst == 0) n_past_ = n;
}

void Context::seq_truncate(int64_t seq, int64_t n) {
    check_seq(seq);
    require(n >= 0 && n <= seq_n_past(seq), Status::InvalidArgument,
            "cannot keep " + std::to_string(n) + " of sequence " + std::to_string(seq) + "'s " +
                std::to_string(seq_n_past(seq)) + " cached positions");
    set_seq_length(seq, n);
}

void Context::truncate(int64_t n) {
    require(n >= 0 && n <= n_past_, Status::InvalidArgument,
            "cannot keep " + std::to_string(n) + " of " + std::to_string(n_past_) + " cached positions");
    n_past_ = n;
    tokens_.resize(static_cast<size_t>(n));
    last_n_ = 0;
    has_logits_ = false;
}

void Context::check_shift_supported(ShiftMode mode) {
    require(mode != ShiftMode::Off, Status::InvalidArgument, "the shift mode is off");
    // n = 0: the architecture only says whether it could.
    if (mode == ShiftMode::RopedK) model_.arch->shift_cached_keys(cache_, 0, 0, 0);
}

void Context::shift(int64_t n_keep, int64_t n_discard, ShiftMode mode) {
    require(n_keep >= 0 && n_discard >= 1 && n_keep + n_discard <= n_past_, Status::InvalidArgument,
            "cannot drop " + std::to_string(n_discard) + " positions after the first " + std::to_string(n_keep) +
                ": the cache holds " + std::to_string(n_past_) + " (need n_keep >= 0, n_discard >= 1, " +
                "n_keep + n_discard <= n_past)");
    check_shift_supported(mode);
    const int64_t first = n_keep + n_discard, n_moved = n_past_ - first;
    if (mode == ShiftMode::Reevaluate) {
        const std::vector<int32_t> moved(tokens_.begin() + first, tokens_.end());
        truncate(n_keep);
        if (n_moved > 0) decode(moved.data(), n_moved);
        return;
    }
    // Re-rotate first, in place: a refusal then leaves the cache as it was.
    model_.arch->shift_cached_keys(cache_, first, n_moved, -n_discard);
    cache_.move_positions(first, n_keep, n_moved);
    tokens_.erase(tokens_.begin() + n_keep, tokens_.begin() + first);
    n_past_ -= n_discard;
}

void Context::score_continuation(const int32_t *context, int64_t n, const int32_t *continuation, int64_t m,
                                 double *logprob, bool *is_greedy) {
    require(n > 0 && m > 0, Status::InvalidArgument, "the context and the continuation need at least one token each");
    require(n + m <= n_ctx_, Status::ContextFull,
            std::to_string(n) + " + " + std::to_string(m) + " tokens do not fit in the context of " +
                std::to_string(n_ctx_));
    std::vector<int32_t> all(context, context + n);
    all.insert(all.end(), continuation, continuation + m);
    // The last continuation token is never decoded, only looked up: check every id here.
    const int64_t n_vocab = model_.hparams().n_vocab;
    for (int32_t id : all)
        require(id >= 0 && id < n_vocab, Status::InvalidArgument,
                "token id " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(n_vocab) + ")");
    // Reuse the cached prefix, but evaluate at least the context's last token: its logits score
    // the continuation's first.
    int64_t keep = 0;
    while (keep < n - 1 && keep < n_past_ && tokens_[static_cast<size_t>(keep)] == all[static_cast<size_t>(keep)]) ++keep;
    truncate(keep);
    decode(all.data() + keep, n + m - 1 - keep, true);
    double total = 0.0;
    bool greedy = true;
    for (int64_t j = 0; j < m; ++j) {
        const float *row = logits(n - 1 - keep + j);
        const int32_t target = continuation[j];
        int64_t best = 0;
        for (int64_t v = 1; v < n_vocab; ++v)
            if (row[v] > row[best]) best = v;
        double sum_exp = 0.0;
        for (int64_t v = 0; v < n_vocab; ++v) sum_exp += std::exp(static_cast<double>(row[v]) - row[best]);
        total += static_cast<double>(row[target]) - row[best] - std::log(sum_exp);
        greedy = greedy && best == target;
    }
    *logprob = total;
    *is_greedy = greedy;
}

namespace {

// Whether a batch evaluates at most one token of each sequence: several sequences' decode steps
// evaluated together (llmrt_decode_multi), which the profiler counts as decode, not prefill.
bool one_token_per_sequence(const ForwardBatch &batch) {
    if (batch.n == 1) return true;
    if (!batch.seq_ids) return false;
    for (int64_t i = 0; i < batch.n; ++i)
        for (int64_t j = 0; j < i; ++j)
            if (batch.seq_ids[i] == batch.seq_ids[j]) return false;
    return true;
}

}  // namespace

void Context::forward_step(const ForwardBatch &batch) {
    if (!profiler_) {
        model_.arch->forward(batch, cache_, workspace_.data(), pool_, logits_.data());
        return;
    }
    using Clock = std::chrono::steady_clock;
    profiler_->begin_step(batch.n, one_token_per_sequence(batch));
    const Clock::time_point start = Clock::now();
    model_.arch->forward(batch, cache_, workspace_.data(), pool_, logits_.data());
    profiler_->end_step(std::chrono::duration<double>(Clock::now() - start).count(), pool_.take_stats());
}

const float *Context::logits(int64_t i) const {
    if (!has_logits_ || i < 0 || i >= last_n_) return nullptr;
    if (last_all_logits_) {
        // After decode_multi, only the rows it kept (logit_index_); after decode, every row.
        const int64_t at = logit_index_.empty() ? i : logit_index_[static_cast<size_t>(i)];
        return at < 0 ? nullptr : all_logits_.data() + at * model_.hparams().n_vocab;
    }
    return i == last_n_ - 1 ? logits_.data() : nullptr;
}

void Context::reset() {
    n_past_ = 0;
    tokens_.clear();
    for (std::vector<int32_t> &ids : other_seqs_) ids.clear();
    last_n_ = 0;
    has_logits_ = false;
    clear_cancel();
}

void Context::set_profiling(bool enabled) {
    profiler_ = enabled ? std::make_unique<Profiler>() : nullptr;
    pool_.set_profiling(enabled);
}

}  // namespace llmrt
