// One sequence being evaluated: KV cache, scratch and logits, used by one thread at a time.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "core/aligned_buffer.h"
#include "core/profiler.h"
#include "core/thread_pool.h"
#include "models/model.h"

namespace llmrt {

// StreamingLLM: how a full window makes room (Context::shift). Off: it does not.
enum class ShiftMode { Off, Reevaluate, RopedK };
// The most sequences one context holds (the C API's n_seq_max limit).
constexpr int64_t kMaxSequences = 256;

struct ContextOptions {
    int64_t n_ctx = 0;
    int64_t n_batch = 512;
    int n_threads = 0;
    bool logits_all = false;
    KvType kv_type = KvType::F32;
    int64_t n_seq_max = 1;  // independent sequences in the cache, n_ctx positions each
};

class Context {
public:
    // Allocates everything decode needs up front, so the token loop never allocates.
    Context(const Model &model, const ContextOptions &options);

    // Appends tokens and evaluates them in n_batch steps. Throws Error: INVALID_ARGUMENT for
    // out-of-range ids, CONTEXT_FULL, CANCELLED.
    // all_logits keeps every row of this call's logits even when the context was created
    // without logits_all (scoring).
    void decode(const int32_t *tokens, int64_t n, bool all_logits = false);

    // Drops the cache's positions from n on (0 <= n <= n_past): the next decode continues at n.
    void truncate(int64_t n);
    // The ids in the cache, one per position (n_past of them).
    const std::vector<int32_t> &tokens() const { return tokens_; }

    // Log-likelihood of continuation given context (natural log, summed over its tokens) and
    // whether every continuation token is the greedy choice (the first maximum logit). Replaces
    // the sequence with context + continuation, keeping the cached positions it shares with it.
    void score_continuation(const int32_t *context, int64_t n, const int32_t *continuation, int64_t m,
                            double *logprob, bool *is_greedy);

    // StreamingLLM: drops the cached positions [n_keep, n_keep + n_discard) and moves the later
    // ones down by n_discard. Reevaluate truncates to n_keep and decodes the moved tokens again
    // at their new positions (exact; the last logits are then the last token's, none when no
    // token is left to move). RopedK moves the cache rows and re-rotates their keys (nothing is
    // recomputed; the last logits stay those computed before the shift). Throws Error:
    // INVALID_ARGUMENT for a range outside the cache, UNSUPPORTED (changing nothing) where keys
    // cannot be moved (learned positions), CANCELLED while re-evaluating (then n_past is n_keep).
    void shift(int64_t n_keep, int64_t n_discard, ShiftMode mode);
    // Throws what shift would for the mode's model support (UNSUPPORTED), without changing anything.
    void check_shift_supported(ShiftMode mode);
    // For tests: the cache as it is.
    const KvCache &cache() const { return cache_; }
    // ---- Several sequences (n_seq_max > 1). Sequence 0 is the one decode, truncate and
    // score_continuation work on; the others are reached only through these.
    int64_t n_seq_max() const { return cache_.n_seq(); }
    int64_t seq_n_past(int64_t seq) const;  // throws INVALID_ARGUMENT for a bad id
    // Appends token i to sequence seq_ids[i] at that sequence's next position and evaluates all
    // of them in n_batch steps, each one forward pass over rows of any sequences: one weight read
    // serves every row. Keeps the logits of every token (logits(i)). Throws INVALID_ARGUMENT
    // (bad id or token), CONTEXT_FULL (a sequence would pass n_ctx; nothing is evaluated),
    // CANCELLED (every sequence back as it was).
    // want_logits (n flags, nullptr = every row): the rows whose next-token logits are kept
    // (logits(i) is nullptr for the others), so prefilled prompt rows skip the output head.
    void decode_multi(const int32_t *tokens, const int32_t *seq_ids, int64_t n, const int8_t *want_logits = nullptr);
    void seq_remove(int64_t seq);                 // empties the sequence
    // dst becomes a copy of src (cache and ids). The caller may say that their first `shared`
    // positions already hold the same keys and values (a common prompt): those are not copied.
    void seq_copy(int64_t src, int64_t dst, int64_t shared = 0);
    void seq_truncate(int64_t seq, int64_t n);    // keeps its positions [0, n)

    const float *logits(int64_t i) const;  // after token i of the last decode; nullptr if absent
    const float *last_logits() const { return logits(last_n_ - 1); }

    void reset();

    // Per-op timing of the forward passes. Enabling starts from zero counts (also when already
    // enabled); reset() keeps them, so a profile may span several sequences.
    void set_profiling(bool enabled);
    const Profiler *profiler() const { return profiler_.get(); }  // nullptr when off

    void cancel() { cancel_.store(true, std::memory_order_relaxed); }
    bool cancel_requested() const { return cancel_.load(std::memory_order_relaxed); }
    void clear_cancel() { cancel_.store(false, std::memory_order_relaxed); }

    const Model &model() const { return model_; }
    int64_t n_ctx() const { return n_ctx_; }
    int64_t n_past() const { return n_past_; }
    int n_threads() const { return pool_.size(); }

private:
    // One forward pass, timed as a step when profiling.
    void forward_step(const ForwardBatch &batch);
    void check_seq(int64_t seq) const;
    // The ids cached for seq (sequence 0: tokens_); set_seq_length keeps n_past_ in step with it.
    std::vector<int32_t> &seq_ids_of(int64_t seq) { return seq == 0 ? tokens_ : other_seqs_[static_cast<size_t>(seq - 1)]; }
    void set_seq_length(int64_t seq, int64_t n);

    const Model &model_;
    int64_t n_ctx_;
    int64_t n_seq_max_;  // before n_batch_ and cache_, which are sized by it
    int64_t n_batch_;
    bool logits_all_;
    ThreadPool pool_;
    KvCache cache_;
    AlignedBuffer<float> workspace_;
    AlignedBuffer<float> logits_;    // the rows of the batch being evaluated
    std::vector<float> all_logits_;  // logits_all: every row of the last decode call
    int64_t n_past_ = 0;
    int64_t last_n_ = 0;
    bool has_logits_ = false;
    bool last_all_logits_ = false;   // the last decode kept every row in all_logits_
    std::vector<int32_t> tokens_;    // the id at each cached position
    std::atomic<bool> cancel_{false};
    std::unique_ptr<Profiler> profiler_;  // nullptr while profiling is off
    std::vector<std::vector<int32_t>> other_seqs_;  // the ids of sequences 1.. (n_seq_max - 1)
    std::vector<int64_t> multi_positions_;          // decode_multi's position of each token
    std::vector<int64_t> logit_rows_;               // decode_multi's rows with logits, per step
    std::vector<int64_t> logit_index_;              // decode_multi: row -> its logits in all_logits_, -1 none
};

}  // namespace llmrt
