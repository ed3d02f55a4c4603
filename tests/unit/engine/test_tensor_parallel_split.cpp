// How tensor parallelism shares out a block (models/tensor_parallel.h): every query head and
// every hidden feature belongs to exactly one rank, each rank caches the kv heads its query
// heads read, and impossible splits are refused with a reason.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "models/tensor_parallel.h"

namespace llmrt {
namespace {

void expect_valid_head_split(int64_t n_head, int64_t n_head_kv, int n_ranks) {
    SCOPED_TRACE(std::to_string(n_head) + " heads, " + std::to_string(n_head_kv) + " kv heads, " +
                 std::to_string(n_ranks) + " ranks");
    const int64_t group = n_head / n_head_kv;
    int64_t next_q = 0, cached = 0;
    for (int r = 0; r < n_ranks; ++r) {
        const HeadShare s = split_heads(n_head, n_head_kv, r, n_ranks);
        EXPECT_EQ(s.q.begin, next_q) << "rank " << r;  // consecutive, no gap, no overlap
        EXPECT_GT(s.q.size(), 0) << "rank " << r;
        next_q = s.q.end;
        // The rank's query heads read exactly its kv heads, in the same grouping as the whole
        // model's (local query head i reads local kv head i / local group).
        EXPECT_EQ(s.kv.begin, s.q.begin / group);
        EXPECT_EQ(s.kv.end, (s.q.end - 1) / group + 1);
        EXPECT_EQ(s.q.size() % s.kv.size(), 0);
        if (s.kv.size() > 1) {
            EXPECT_EQ(s.q.size(), s.kv.size() * group);
        }
        cached += s.kv.size();
    }
    EXPECT_EQ(next_q, n_head);
    // Split kv heads are cached once; with fewer kv heads than ranks each rank caches one.
    EXPECT_EQ(cached, n_head_kv >= n_ranks ? n_head_kv : n_ranks);
}

TEST(TensorParallelSplit, HeadsOfEveryAttentionKind) {
    expect_valid_head_split(32, 32, 2);  // multi-head
    expect_valid_head_split(32, 8, 4);   // grouped-query, kv heads divisible
    expect_valid_head_split(12, 3, 2);   // grouped-query, uneven kv split
    expect_valid_head_split(32, 1, 4);   // multi-query: the one kv head on every rank
    expect_valid_head_split(8, 2, 3);    // fewer kv heads than ranks, unevenly shared
    expect_valid_head_split(7, 7, 3);    // uneven multi-head
}

TEST(TensorParallelSplit, TooManyRanksForTheHeadsIsRefused) {
    try {
        split_heads(4, 1, 0, 8);
        FAIL() << "8 ranks over 4 heads were accepted";
    } catch (const Error &e) {
        EXPECT_EQ(e.status(), Status::Unsupported);
        EXPECT_NE(std::string(e.what()).find("ranks"), std::string::npos) << e.what();
    }
}

TEST(TensorParallelSplit, FeaturesOnGroupBoundaries) {
    // 172 features (stories260K's MLP) in groups of 32: 6 groups, the last ragged.
    int64_t next = 0;
    for (int r = 0; r < 4; ++r) {
        const IndexRange s = split_on_steps(172, 32, r, 4);
        EXPECT_EQ(s.begin, next);
        EXPECT_EQ(s.begin % 32, 0);
        EXPECT_GT(s.size(), 0);
        next = s.end;
    }
    EXPECT_EQ(next, 172);
    EXPECT_THROW(split_on_steps(64, 32, 0, 3), Error);  // two groups, three ranks
}

}  // namespace
}  // namespace llmrt
