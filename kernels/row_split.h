// How matmul splits output rows over threads.
#pragma once

#include <algorithm>
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

}  // namespace llmrt
