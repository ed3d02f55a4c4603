// Tensor parallelism by output rows (issue 13): each of N ranks owns a contiguous slice of the
// output rows of every Linear, computes only those, and an all-gather assembles the full output
// on every rank in the layout the single-process matmul writes. Everything else (embeddings,
// norms, attention, the KV cache, sampling) runs replicated, so every rank holds the same
// activations and logits and samples the same token from the same seed: no token is broadcast.
//
// Exact by construction: each output element is one dot product computed by one rank with the
// same kernel the single process uses (quantization groups run along the input dimension, so a
// row slice never cuts one). Weights mapped from a file are only read in the local slice, so
// each rank keeps about 1/N of their pages resident.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/communicator.h"
#include "core/thread_pool.h"
#include "kernels/matmul.h"

namespace llmrt {

struct RowSlice {
    int64_t begin = 0, end = 0;
    int64_t size() const { return end - begin; }
};

// Rank `rank`'s share of `rows` among `n_ranks`: contiguous, sizes differing by at most one.
RowSlice row_slice(int64_t rows, int rank, int n_ranks);

// Rows [s.begin, s.end) of w as a matrix of their own (rows are stored one after another, each
// with its own scales, and in_perm runs along the columns, so the view is exact).
Matrix rows_of(const Matrix &w, RowSlice s);

// Runs the model's matmuls: on all rows in a single process, on this rank's rows then an
// all-gather when sharded. One per model; the forward pass of one context at a time may use it
// (the ranks' collectives must come in the same order).
class ShardedMatmul {
public:
    // comm nullptr: not sharded, exactly matmul_group.
    explicit ShardedMatmul(std::shared_ptr<const Communicator> comm = nullptr);

    bool sharded() const { return comm_ != nullptr && comm_->size() > 1; }
    int rank() const { return comm_ ? comm_->rank() : 0; }
    int size() const { return comm_ ? comm_->size() : 1; }

    // The same results as matmul_group(outputs, count, x, m, pool): y_i = x . W_i^T, m rows of
    // W_i.rows floats each.
    void run(const MatmulOutput *outputs, int count, const float *x, int64_t m, ThreadPool &pool) const;
    void run(const Matrix &w, const float *x, int64_t m, float *y, ThreadPool &pool) const {
        const MatmulOutput one{&w, y};
        run(&one, 1, x, m, pool);
    }

private:
    int64_t local_floats(const MatmulOutput *outputs, int count, int64_t m, int rank) const;
    // Fills counts_ with each rank's share of the outputs' floats; returns their sum.
    int64_t plan_counts(const MatmulOutput *outputs, int count, int64_t m) const;
    void scatter(const MatmulOutput *outputs, int count, int64_t m, const float *all) const;

    std::shared_ptr<const Communicator> comm_;
    // Scratch grown to the largest product seen, then reused: no allocation in the token loop.
    mutable std::vector<float> local_, all_;
    mutable std::vector<int> counts_;
};

}  // namespace llmrt
