// Tensor parallelism, Megatron style (issue 13). Each of N ranks owns a share of every block:
// some attention heads (the rows of q, k and v that make them, and the columns of the output
// projection that read them) and a slice of the MLP's hidden features (rows of gate and up,
// columns of down). A block's output projections then give partial sums, which one all-reduce
// per projection adds up; everything between two all-reduces runs on local data only. Embedding
// and norms are replicated; the output head is split by vocabulary rows and its logits gathered,
// so every rank holds the same logits and samples the same token from the same seed: no token is
// broadcast.
//
// Numerics: the all-reduce adds the ranks' partial sums in rank order on every rank (an
// all-gather, then a sum in a fixed order), so every rank holds the same bits whatever the
// timing; the results differ from a single process only by that order of addition.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/communicator.h"
#include "core/thread_pool.h"
#include "kernels/matmul.h"
#include "models/weights.h"

namespace llmrt {

// Rank `rank`'s share of n items among `n_ranks`: contiguous, sizes differing by at most one.
IndexRange split_evenly(int64_t n, int rank, int n_ranks);

// The attention heads one rank computes.
struct HeadShare {
    IndexRange q;   // query heads
    IndexRange kv;  // key/value heads those read, stored in this rank's KV cache
};

// With at least as many kv heads as ranks, the kv heads are split and each rank takes the query
// heads that read them; with fewer, each rank takes one kv head (computed and cached by every
// rank that shares it) and those ranks split its query heads. Throws Error(Unsupported) when a
// rank would get no query head.
HeadShare split_heads(int64_t n_head, int64_t n_head_kv, int rank, int n_ranks);

// Rank `rank`'s share of n features cut on multiples of `step` (a quantization group of the
// matrix that reads them by columns); the last rank's share ends at n. Throws
// Error(Unsupported) when a rank would get nothing.
IndexRange split_on_steps(int64_t n, int64_t step, int rank, int n_ranks);

// The collectives of one model's forward pass, and the output head's gather. Calls on every
// rank must come in the same order, so one context's forward pass at a time may use it.
class TensorParallel {
public:
    // comm nullptr: a single process (every operation is then local or does nothing).
    explicit TensorParallel(std::shared_ptr<const Communicator> comm = nullptr);

    bool sharded() const { return comm_ != nullptr && comm_->size() > 1; }
    int rank() const { return comm_ ? comm_->rank() : 0; }
    int size() const { return comm_ ? comm_->size() : 1; }

    // x (count floats) becomes the sum of every rank's x, added in rank order.
    void all_reduce(float *x, int64_t count) const;

    // y = x . W^T for the whole W (rows_total rows), of which `local` holds this rank's rows
    // (split_evenly(rows_total)): each rank computes its rows, then they are gathered. Without
    // sharding, `local` is the whole W and this is matmul.
    void gathered_matmul(const Matrix &local, int64_t rows_total, const float *x, int64_t m, float *y,
                         ThreadPool &pool) const;

private:
    // Fills counts_ with floats_per_row * each rank's split_evenly(rows) share; returns their sum.
    int64_t plan_counts(int64_t rows, int64_t floats_per_row) const;

    std::shared_ptr<const Communicator> comm_;
    // Scratch grown to the largest call seen, then reused: no allocation in the token loop.
    mutable std::vector<float> local_, all_;
    mutable std::vector<int> counts_;
};

}  // namespace llmrt
