// The profiler's bookkeeping and the thread pool's barrier counts.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/profiler.h"
#include "core/thread_pool.h"

namespace llmrt {
namespace {

TEST(Profiler, StepsOfOneTokenAreDecodeAndLargerOnesPrefill) {
    Profiler p;
    p.begin_step(1, true);
    p.add(ProfileOp::MatmulFfnGateUp, 0.25, 100);
    p.add(ProfileOp::MatmulFfnGateUp, 0.25, 100);
    p.end_step(1.0, PoolStats{0.125, 3});
    p.begin_step(8, false);
    p.add(ProfileOp::Attention, 0.5, 0);
    p.end_step(2.0, PoolStats{0.0, 1});

    const PhaseTotals &d = p.decode();
    EXPECT_EQ(d.steps, 1u);
    EXPECT_EQ(d.tokens, 1u);
    EXPECT_DOUBLE_EQ(d.seconds, 1.0);
    EXPECT_EQ(d.ops[static_cast<size_t>(ProfileOp::MatmulFfnGateUp)].calls, 2u);
    EXPECT_DOUBLE_EQ(d.ops[static_cast<size_t>(ProfileOp::MatmulFfnGateUp)].seconds, 0.5);
    EXPECT_EQ(d.ops[static_cast<size_t>(ProfileOp::MatmulFfnGateUp)].bytes, 200u);
    EXPECT_EQ(d.ops[static_cast<size_t>(ProfileOp::Attention)].calls, 0u);
    EXPECT_DOUBLE_EQ(d.barrier_wait_seconds, 0.125);
    EXPECT_EQ(d.pool_runs, 3u);

    const PhaseTotals &f = p.prefill();
    EXPECT_EQ(f.steps, 1u);
    EXPECT_EQ(f.tokens, 8u);
    EXPECT_EQ(f.ops[static_cast<size_t>(ProfileOp::Attention)].calls, 1u);
    EXPECT_EQ(f.ops[static_cast<size_t>(ProfileOp::MatmulFfnGateUp)].calls, 0u);
    EXPECT_EQ(f.pool_runs, 1u);
}

TEST(Profiler, ScopeRecordsOnlyWithAProfiler) {
    Profiler p;
    p.begin_step(1, true);
    { ProfileScope off(nullptr, ProfileOp::Norm); }
    EXPECT_EQ(p.decode().ops[static_cast<size_t>(ProfileOp::Norm)].calls, 0u);
    {
        ProfileScope on(&p, ProfileOp::Norm, 64);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const OpTotals &norm = p.decode().ops[static_cast<size_t>(ProfileOp::Norm)];
    EXPECT_EQ(norm.calls, 1u);
    EXPECT_EQ(norm.bytes, 64u);
    EXPECT_GE(norm.seconds, 0.001);
}

TEST(Profiler, EveryOpHasADistinctName) {
    for (size_t i = 0; i < kProfileOpCount; ++i) {
        const std::string a = profile_op_name(static_cast<ProfileOp>(i));
        EXPECT_NE(a, "unknown");
        for (size_t j = i + 1; j < kProfileOpCount; ++j) EXPECT_NE(a, profile_op_name(static_cast<ProfileOp>(j)));
    }
}

TEST(ThreadPoolStats, CountsRunsAndWaitOnlyWhenProfiling) {
    ThreadPool pool(2);
    pool.run([](int, int) {});
    EXPECT_EQ(pool.take_stats().runs, 0u);

    pool.set_profiling(true);
    // The worker's share is slower than the caller's: the caller must wait for it.
    pool.run([](int ith, int) {
        if (ith == 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    });
    pool.parallel_for(10, [](int64_t, int64_t) {});
    PoolStats s = pool.take_stats();
    EXPECT_EQ(s.runs, 2u);
    EXPECT_GE(s.barrier_wait_seconds, 0.004);
    s = pool.take_stats();
    EXPECT_EQ(s.runs, 0u);
    EXPECT_EQ(s.barrier_wait_seconds, 0.0);

    pool.run([](int, int) {});
    pool.set_profiling(false);
    pool.run([](int, int) {});
    EXPECT_EQ(pool.take_stats().runs, 0u);  // switching zeroes, and off counts nothing
}

TEST(ThreadPoolStats, SingleThreadPoolCountsRunsWithoutWaiting) {
    ThreadPool pool(1);
    pool.set_profiling(true);
    pool.run([](int, int) {});
    const PoolStats s = pool.take_stats();
    EXPECT_EQ(s.runs, 1u);
    EXPECT_EQ(s.barrier_wait_seconds, 0.0);
}

}  // namespace
}  // namespace llmrt
