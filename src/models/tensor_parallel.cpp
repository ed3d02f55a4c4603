#include "models/tensor_parallel.h"

#include <algorithm>
#include <limits>
#include <string>

#include "core/error.h"

namespace llmrt {

IndexRange split_evenly(int64_t n, int rank, int n_ranks) {
    const int64_t base = n / n_ranks, extra = n % n_ranks;
    const int64_t begin = rank * base + std::min<int64_t>(rank, extra);
    return {begin, begin + base + (rank < extra ? 1 : 0)};
}

HeadShare split_heads(int64_t n_head, int64_t n_head_kv, int rank, int n_ranks) {
    const int64_t group = n_head / n_head_kv;  // query heads per kv head
    HeadShare s;
    if (n_head_kv >= n_ranks) {
        s.kv = split_evenly(n_head_kv, rank, n_ranks);
        s.q = {s.kv.begin * group, s.kv.end * group};
        return s;
    }
    // Rank r serves kv head r * n_head_kv / n_ranks; the ranks serving head j are consecutive.
    const int64_t j = static_cast<int64_t>(rank) * n_head_kv / n_ranks;
    int first = rank, count = 0;
    while (first > 0 && static_cast<int64_t>(first - 1) * n_head_kv / n_ranks == j) --first;
    while (first + count < n_ranks && static_cast<int64_t>(first + count) * n_head_kv / n_ranks == j) ++count;
    require(group >= count, Status::Unsupported,
            "tensor parallelism: " + std::to_string(count) + " ranks would share key/value head " + std::to_string(j) +
                ", which only " + std::to_string(group) + " query heads read; use at most " +
                std::to_string(n_head) + " ranks");
    const IndexRange mine = split_evenly(group, rank - first, count);
    s.kv = {j, j + 1};
    s.q = {j * group + mine.begin, j * group + mine.end};
    return s;
}

IndexRange split_on_steps(int64_t n, int64_t step, int rank, int n_ranks) {
    const int64_t steps = (n + step - 1) / step;
    require(steps >= n_ranks, Status::Unsupported,
            "tensor parallelism: " + std::to_string(n) + " features in groups of " + std::to_string(step) +
                " cannot be split over " + std::to_string(n_ranks) + " ranks");
    const IndexRange s = split_evenly(steps, rank, n_ranks);
    return {s.begin * step, std::min(n, s.end * step)};
}

TensorParallel::TensorParallel(std::shared_ptr<const Communicator> comm) : comm_(std::move(comm)) {}

int64_t TensorParallel::plan_counts(int64_t rows, int64_t floats_per_row) const {
    counts_.resize(static_cast<size_t>(size()));
    int64_t total = 0;
    for (int p = 0; p < size(); ++p) {
        const int64_t floats = split_evenly(rows, p, size()).size() * floats_per_row;
        require(floats <= std::numeric_limits<int>::max(), Status::Unsupported,
                "tensor parallelism: one rank's share of a collective (" + std::to_string(floats) +
                    " floats) exceeds MPI's int count; use a smaller batch");
        counts_[static_cast<size_t>(p)] = static_cast<int>(floats);
        total += floats;
    }
    return total;
}

void TensorParallel::all_reduce(float *x, int64_t count) const {
    if (!sharded() || count <= 0) return;
    require(count <= std::numeric_limits<int>::max(), Status::Unsupported,
            "tensor parallelism: an all-reduce of " + std::to_string(count) + " floats exceeds MPI's int count; "
            "use a smaller batch");
    counts_.assign(static_cast<size_t>(size()), static_cast<int>(count));
    const size_t n = static_cast<size_t>(count);
    if (all_.size() < n * static_cast<size_t>(size())) all_.resize(n * static_cast<size_t>(size()));
    // MPI_Allreduce may add in an order that depends on the algorithm and is not promised to
    // give every rank the same bits; ranks that disagree by one bit could sample different
    // tokens. Gathering the parts and adding them in rank order everywhere rules that out.
    comm_->allgatherv(x, counts_.data(), all_.data());
    std::copy(all_.data(), all_.data() + n, x);
    for (int p = 1; p < size(); ++p) {
        const float *part = all_.data() + static_cast<size_t>(p) * n;
        for (size_t i = 0; i < n; ++i) x[i] += part[i];
    }
}

void TensorParallel::gathered_matmul(const Matrix &local, int64_t rows_total, const float *x, int64_t m, float *y,
                                     ThreadPool &pool) const {
    if (!sharded()) {
        matmul(local, x, m, y, pool);
        return;
    }
    if (m <= 0) return;
    const int64_t total = plan_counts(rows_total, m);
    const size_t mine = static_cast<size_t>(counts_[static_cast<size_t>(rank())]);
    if (m == 1) {
        // One row (a decode step): the ranks' parts, in rank order, are that row.
        if (local_.size() < mine) local_.resize(mine);
        matmul(local, x, m, local_.data(), pool);
        comm_->allgatherv(local_.data(), counts_.data(), y);
        return;
    }
    if (local_.size() < mine) local_.resize(mine);
    if (all_.size() < static_cast<size_t>(total)) all_.resize(static_cast<size_t>(total));
    matmul(local, x, m, local_.data(), pool);
    comm_->allgatherv(local_.data(), counts_.data(), all_.data());
    // all_ holds each rank's m x share block in turn; each goes to its columns of y.
    const float *part = all_.data();
    for (int p = 0; p < size(); ++p) {
        const IndexRange s = split_evenly(rows_total, p, size());
        for (int64_t t = 0; t < m; ++t)
            std::copy(part + t * s.size(), part + (t + 1) * s.size(), y + t * rows_total + s.begin);
        part += m * s.size();
    }
}

}  // namespace llmrt
