// matmul() through the thread pool, with and without oneDNN, against the scalar reference.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <string>
#include <vector>

#include "kernels/dnnl_f32.h"
#include "kernels/f32_kernels.h"
#include "kernels/matmul.h"
#include "kernels/row_split.h"
#include "int_test_util.h"
#include "test_util.h"

namespace llmrt {
namespace {

// Returns the number of outputs off by more than the tolerance (0 = pass), so it can also be
// used inside a death-test child, which reports through its exit code.
int mismatches(ThreadPool &pool, int64_t rows, int64_t cols, int64_t m, uint32_t seed) {
    test::F32Weights w(rows, cols, seed);
    const std::vector<float> x = test::random_floats(static_cast<size_t>(m * cols), seed + 1);
    std::vector<float> y(static_cast<size_t>(m * rows), -1.0f);
    std::vector<float> ref(static_cast<size_t>(m * rows));
    matmul(w.matrix, x.data(), m, y.data(), pool);
    f32_matmul_rows_scalar(w.matrix, x.data(), m, cols, ref.data(), rows, 0, rows);
    int bad = 0;
    for (int64_t i = 0; i < m; ++i)
        for (int64_t r = 0; r < rows; ++r) {
            const size_t at = static_cast<size_t>(i * rows + r);
            const double tol = test::tolerance(x.data() + i * cols, w.row(r), cols);
            if (!(std::fabs(static_cast<double>(y[at]) - ref[at]) <= tol)) ++bad;
        }
    return bad;
}

struct Shape {
    int64_t rows, cols, m;
};

// Decode GEMVs, small batches for our kernel, and batches for oneDNN with a remainder
// (600 = 512 + 64 + 24 rows for our kernel), on row counts that do not divide into 16-row blocks.
const Shape kShapes[] = {
    {1, 5, 1},     {17, 33, 1},   {100, 172, 1},  {300, 257, 1},   {37, 64, 5},
    {100, 31, 31}, {100, 31, 32}, {45, 172, 33},  {17, 7, 64},     {64, 1, 100},
    {130, 96, 600}, {3, 4097, 40},
};

class MatmulThreads : public ::testing::TestWithParam<int> {};

TEST_P(MatmulThreads, MatchesReference) {
    ThreadPool pool(GetParam());
    uint32_t seed = 11;
    for (const Shape &s : kShapes) {
        SCOPED_TRACE("rows=" + std::to_string(s.rows) + " cols=" + std::to_string(s.cols) +
                     " m=" + std::to_string(s.m));
        EXPECT_EQ(mismatches(pool, s.rows, s.cols, s.m, seed++), 0);
    }
}

TEST_P(MatmulThreads, RepeatedCallsReuseCachedPrimitives) {
    ThreadPool pool(GetParam());
    for (int i = 0; i < 3; ++i) EXPECT_EQ(mismatches(pool, 48, 64, kDnnlMinRows, 77), 0);
}

// A group gives what separate matmul() calls give: mixed sizes (one below the parallel
// threshold), a mixed-type group (falls back to separate calls), decode and prefill batches.
TEST_P(MatmulThreads, GroupEqualsSeparateProducts) {
    ThreadPool pool(GetParam());
    const int64_t cols = 512;
    QuantFormat int4;
    int4.kind = QuantKind::Int4;
    const test::IntWeights a(int4, 300, cols, 1), b(int4, 17, cols, 2), c(int4, 1000, cols, 3);
    const test::F32Weights f(40, cols, 4);
    for (int64_t m : {1, 5, 64}) {
        SCOPED_TRACE("m=" + std::to_string(m));
        const std::vector<float> x = test::random_floats(static_cast<size_t>(m * cols), 5);
        for (const bool mixed : {false, true}) {
            const Matrix *ws[] = {&a.matrix, &b.matrix, mixed ? &f.matrix : &c.matrix};
            std::vector<std::vector<float>> got(3), want(3);
            MatmulOutput outs[3];
            for (int i = 0; i < 3; ++i) {
                got[i].assign(static_cast<size_t>(m * ws[i]->rows), -1.0f);
                want[i].assign(got[i].size(), -2.0f);
                outs[i] = {ws[i], got[i].data()};
                matmul(*ws[i], x.data(), m, want[i].data(), pool);
            }
            matmul_group(outs, 3, x.data(), m, pool);
            for (int i = 0; i < 3; ++i) EXPECT_EQ(got[i], want[i]) << "matrix " << i << (mixed ? " (mixed)" : "");
        }
    }
}

// Every row is handed out exactly once, in whole 16-row blocks, whatever the threads' speeds.
TEST_P(MatmulThreads, RowChunksCoverEveryRowOnce) {
    ThreadPool pool(GetParam());
    for (int64_t rows : {int64_t{1}, int64_t{15}, int64_t{16}, int64_t{17}, int64_t{256}, int64_t{1000}, int64_t{5632}}) {
        std::vector<std::atomic<int>> seen(static_cast<size_t>(rows));
        RowChunks chunks(rows, pool.size());
        pool.run([&](int ith, int) {
            for (RowRange r = chunks.next(ith); r.begin < r.end; r = chunks.next(ith)) {
                EXPECT_EQ(r.begin % kRowBlock, 0);
                for (int64_t i = r.begin; i < r.end; ++i) seen[static_cast<size_t>(i)].fetch_add(1);
                if (ith == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));  // a slow thread
            }
        });
        for (int64_t i = 0; i < rows; ++i) EXPECT_EQ(seen[static_cast<size_t>(i)].load(), 1) << "rows=" << rows << " i=" << i;
    }
}

INSTANTIATE_TEST_SUITE_P(Pool, MatmulThreads, ::testing::Values(1, 2, 3));

// More threads than shares (they share them) and threads that finish at different times: every
// row still comes out exactly once.
TEST(RowChunks, ManyThreadsCoverEveryRowOnce) {
    for (int n_threads : {1, 5, RowChunks::kMaxShares, RowChunks::kMaxShares + 7, 200})
        for (int64_t rows : {int64_t{1}, int64_t{100}, int64_t{5632}, int64_t{32000}}) {
            RowChunks chunks(rows, n_threads);
            std::vector<int> seen(static_cast<size_t>(rows));
            std::vector<bool> done(static_cast<size_t>(n_threads));
            for (int left = n_threads, turn = 0; left > 0; ++turn) {
                const int ith = (turn * 7) % n_threads;  // an uneven order of turns
                if (done[static_cast<size_t>(ith)]) continue;
                const RowRange r = chunks.next(ith);
                if (r.begin >= r.end) {
                    done[static_cast<size_t>(ith)] = true;
                    --left;
                }
                for (int64_t i = r.begin; i < r.end; ++i) ++seen[static_cast<size_t>(i)];
            }
            for (int64_t i = 0; i < rows; ++i)
                ASSERT_EQ(seen[static_cast<size_t>(i)], 1) << "threads=" << n_threads << " rows=" << rows << " i=" << i;
        }
}

bool env_set(const char *name) {
    const char *v = std::getenv(name);
    return v != nullptr && *v != '\0';
}

// The oneDNN tests above are only meaningful if oneDNN is actually in use.
TEST(MatmulDnnl, AvailableUnlessDisabled) {
#if LLMRT_HAVE_DNNL
    if (env_set("LLMRT_NO_DNNL") || selected_isa() == Isa::Scalar)
        GTEST_SKIP() << "oneDNN disabled by the environment";
    EXPECT_TRUE(dnnl_f32_available());
#else
    EXPECT_FALSE(dnnl_f32_available());
#endif
}

// LLMRT_NO_DNNL is read once per process, so it is tested in a fresh child process
// ("threadsafe" death tests re-execute the binary).
TEST(MatmulDnnl, DisabledByEnvironment) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            setenv("LLMRT_NO_DNNL", "1", 1);
            ThreadPool pool(2);
            const bool ok = !dnnl_f32_available() && mismatches(pool, 100, 64, 600, 5) == 0 &&
                            mismatches(pool, 33, 20, 40, 6) == 0;
            std::exit(ok ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace llmrt
