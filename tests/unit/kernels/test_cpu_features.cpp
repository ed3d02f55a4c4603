#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "core/thread_pool.h"
#include "kernels/bandwidth.h"
#include "kernels/cpu_features.h"

namespace llmrt {
namespace {

TEST(CpuFeatures, AgreesWithCompilerRuntime) {
    const CpuFeatures &f = cpu_features();
    // libgcc's check also consults XCR0, like ours.
    EXPECT_EQ(f.avx2, static_cast<bool>(__builtin_cpu_supports("avx2")));
    EXPECT_EQ(f.fma, static_cast<bool>(__builtin_cpu_supports("fma")));
    EXPECT_EQ(f.avx512f, static_cast<bool>(__builtin_cpu_supports("avx512f")));
    EXPECT_EQ(f.avx512bw, static_cast<bool>(__builtin_cpu_supports("avx512bw")));
    EXPECT_EQ(f.avx512vl, static_cast<bool>(__builtin_cpu_supports("avx512vl")));
    EXPECT_EQ(f.avx512dq, static_cast<bool>(__builtin_cpu_supports("avx512dq")));
    EXPECT_EQ(f.avx512vnni, static_cast<bool>(__builtin_cpu_supports("avx512vnni")));
}

TEST(CpuFeatures, IsaLevelsAreConsistent) {
    const CpuFeatures &f = cpu_features();
    const Isa best = best_supported_isa();
    EXPECT_EQ(best >= Isa::Avx2, f.avx2 && f.fma && f.f16c);
    if (best == Isa::Avx512) {
        EXPECT_TRUE(f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq);
    }
    EXPECT_LE(selected_isa(), best);
    EXPECT_EQ(&cpu_features(), &f);
    EXPECT_STREQ(isa_name(Isa::Scalar), "scalar");
    EXPECT_STREQ(isa_name(Isa::Avx2), "avx2");
    EXPECT_STREQ(isa_name(Isa::Avx512), "avx512");
}

// LLMRT_ISA is read once per process, so each setting runs in a fresh child process.
void expect_selected_with_env(const char *value, Isa expected) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            setenv("LLMRT_ISA", value, 1);
            std::exit(selected_isa() == expected ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "")
        << "LLMRT_ISA=" << value;
}

TEST(CpuFeatures, EnvironmentLowersIsa) {
    const Isa best = best_supported_isa();
    expect_selected_with_env("scalar", Isa::Scalar);
    expect_selected_with_env("avx2", best >= Isa::Avx2 ? Isa::Avx2 : best);
    expect_selected_with_env("avx512", best);  // never more than the CPU has
    expect_selected_with_env("sse9", best);    // unknown: warned about and ignored
}

TEST(Bandwidth, ProbeReturnsPositiveRate) {
    ThreadPool pool(2);
    const double gbs = measure_read_bandwidth_gbs(pool, 4u << 20, 2);
    EXPECT_GT(gbs, 0.0);
    EXPECT_LT(gbs, 1e5);
}

}  // namespace
}  // namespace llmrt
