#include "models/tensor_parallel.h"

#include <algorithm>
#include <limits>
#include <string>

#include "core/error.h"

namespace llmrt {

RowSlice row_slice(int64_t rows, int rank, int n_ranks) {
    const int64_t base = rows / n_ranks, extra = rows % n_ranks;
    const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
    return {begin, begin + base + (rank < extra ? 1 : 0)};
}

Matrix rows_of(const Matrix &w, RowSlice s) {
    Matrix view = w;
    view.rows = s.size();
    view.data = s.size() > 0 ? w.row(s.begin) : w.data;
    return view;
}

ShardedMatmul::ShardedMatmul(std::shared_ptr<const Communicator> comm) : comm_(std::move(comm)) {}

int64_t ShardedMatmul::local_floats(const MatmulOutput *outputs, int count, int64_t m, int rank) const {
    int64_t rows = 0;
    for (int i = 0; i < count; ++i) rows += row_slice(outputs[i].w->rows, rank, size()).size();
    return m * rows;
}

// `all` holds each rank's part in turn; a rank's part holds, for each output in turn, its m x
// slice rows. Those rows go to their columns of the full outputs.
void ShardedMatmul::scatter(const MatmulOutput *outputs, int count, int64_t m, const float *all) const {
    for (int p = 0; p < size(); ++p) {
        for (int i = 0; i < count; ++i) {
            const int64_t full = outputs[i].w->rows;
            const RowSlice s = row_slice(full, p, size());
            for (int64_t t = 0; t < m; ++t)
                std::copy(all + t * s.size(), all + (t + 1) * s.size(), outputs[i].y + t * full + s.begin);
            all += m * s.size();
        }
    }
}

int64_t ShardedMatmul::plan_counts(const MatmulOutput *outputs, int count, int64_t m) const {
    counts_.resize(static_cast<size_t>(size()));
    int64_t total = 0;
    for (int p = 0; p < size(); ++p) {
        const int64_t floats = local_floats(outputs, count, m, p);
        require(floats <= std::numeric_limits<int>::max(), Status::Unsupported,
                "tensor parallelism: one rank's share of a matmul (" + std::to_string(floats) +
                    " floats) exceeds MPI's int count; use a smaller batch");
        counts_[static_cast<size_t>(p)] = static_cast<int>(floats);
        total += floats;
    }
    return total;
}

void ShardedMatmul::run(const MatmulOutput *outputs, int count, const float *x, int64_t m, ThreadPool &pool) const {
    if (!sharded()) {
        matmul_group(outputs, count, x, m, pool);
        return;
    }
    if (m <= 0 || count <= 0) return;
    constexpr int kMaxGroup = 4;
    require(count <= kMaxGroup, Status::Internal, "tensor parallelism: a matmul group of more than 4 matrices");
    const int64_t total = plan_counts(outputs, count, m);
    const size_t mine = static_cast<size_t>(counts_[static_cast<size_t>(rank())]);
    if (local_.size() < mine) local_.resize(mine);
    // The local rows of every matrix, as one group so x is prepared once (as matmul_group does).
    Matrix views[kMaxGroup];
    MatmulOutput local[kMaxGroup];
    float *y = local_.data();
    for (int i = 0; i < count; ++i) {
        views[i] = rows_of(*outputs[i].w, row_slice(outputs[i].w->rows, rank(), size()));
        local[i] = {&views[i], y};
        y += m * views[i].rows;
    }
    matmul_group(local, count, x, m, pool);
    if (m == 1 && count == 1) {
        // One row of one matrix (a decode step): the ranks' parts, in rank order, are that row.
        comm_->allgatherv(local_.data(), counts_.data(), outputs[0].y);
        return;
    }
    if (all_.size() < static_cast<size_t>(total)) all_.resize(static_cast<size_t>(total));
    comm_->allgatherv(local_.data(), counts_.data(), all_.data());
    scatter(outputs, count, m, all_.data());
}

}  // namespace llmrt
