// How matmul splits output rows over threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace llmrt {

// Rows are handed out in blocks of 16 (a cache line of f32 outputs, and whole blocks for
// block-packed weight types), balanced to within one block per thread.
constexpr int64_t kRowBlock = 16;

struct RowRange {
    int64_t begin, end;
};

inline RowRange split_rows(int64_t rows, int ith, int nth) {
    const int64_t blocks = (rows + kRowBlock - 1) / kRowBlock;
    const int64_t b0 = blocks * ith / nth;
    const int64_t b1 = blocks * (ith + 1) / nth;
    return {std::min(rows, b0 * kRowBlock), std::min(rows, b1 * kRowBlock)};
}

// Rows in chunks: each thread first takes the chunks of its own contiguous share, front to back
// (one sequential stream, as decode needs: interleaving chunks of the two threads cut 2-thread
// decode by a fifth, measured), then takes chunks from the back of the shares of threads still
// busy. A thread that runs slower (a busy or descheduled core) so does less instead of everyone
// waiting for it at the barrier: with static halves the caller waited 11-12% of each 2-thread
// decode step on the 2-core VM. Indices only: no allocation, nothing but one atomic per share.
class RowChunks {
public:
    static constexpr int kChunksPerThread = 8;
    static constexpr int kMaxShares = 64;  // threads beyond this share shares (ith % kMaxShares)

    RowChunks(int64_t rows, int n_threads) : rows_(rows), n_shares_(std::min(std::max(1, n_threads), kMaxShares)) {
        const int64_t blocks = (rows + kRowBlock - 1) / kRowBlock;
        const int64_t chunks = int64_t{std::max(1, n_threads)} * kChunksPerThread;
        chunk_ = std::max<int64_t>(1, (blocks + chunks - 1) / chunks) * kRowBlock;
        const int64_t n_chunks = (rows + chunk_ - 1) / chunk_;
        for (int i = 0; i < n_shares_; ++i)
            shares_[i].store(pack(n_chunks * i / n_shares_, n_chunks * (i + 1) / n_shares_), std::memory_order_relaxed);
    }

    // The next rows for thread ith; empty (begin == end) when all are taken.
    RowRange next(int ith) {
        const int own = ith % n_shares_;
        int64_t c = take(shares_[own], true);
        for (int k = 1; c < 0 && k < n_shares_; ++k) c = take(shares_[(own + k) % n_shares_], false);
        if (c < 0) return {rows_, rows_};
        return {c * chunk_, std::min(rows_, (c + 1) * chunk_)};
    }

private:
    static uint64_t pack(int64_t front, int64_t back) {
        return static_cast<uint64_t>(front) | static_cast<uint64_t>(back) << 32;
    }
    // A chunk index from the front (the owner) or the back (a helper) of a share; -1 if empty.
    static int64_t take(std::atomic<uint64_t> &share, bool front) {
        uint64_t v = share.load(std::memory_order_relaxed);
        for (;;) {
            const int64_t f = static_cast<int64_t>(v & 0xffffffffu), b = static_cast<int64_t>(v >> 32);
            if (f >= b) return -1;
            const uint64_t next = front ? pack(f + 1, b) : pack(f, b - 1);
            if (share.compare_exchange_weak(v, next, std::memory_order_relaxed)) return front ? f : b - 1;
        }
    }

    int64_t rows_;
    int n_shares_;
    int64_t chunk_ = kRowBlock;
    std::atomic<uint64_t> shares_[kMaxShares];
};

}  // namespace llmrt
