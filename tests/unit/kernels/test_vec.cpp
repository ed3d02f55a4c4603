// Vector kernels of every ISA against the scalar (double-accumulating) versions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/float16.h"
#include "kernels/vec.h"
#include "test_util.h"

namespace llmrt {
namespace {

class VecKernel : public ::testing::TestWithParam<Isa> {
protected:
    void SetUp() override {
        if (!test::isa_supported(GetParam())) GTEST_SKIP() << "CPU lacks " << isa_name(GetParam());
    }
    const VecKernels &kernels() const { return vec_kernels_for(GetParam()); }
    const VecKernels &ref() const { return vec_kernels_scalar(); }
};

const int64_t kLengths[] = {0, 1, 7, 15, 16, 17, 63, 64, 65, 100, 1000, 4097};

TEST_P(VecKernel, Dot) {
    for (int64_t n : kLengths) {
        const auto a = test::random_floats(static_cast<size_t>(n), 1), b = test::random_floats(static_cast<size_t>(n), 2);
        EXPECT_NEAR(kernels().dot(a.data(), b.data(), n), ref().dot(a.data(), b.data(), n),
                    test::tolerance(a.data(), b.data(), n))
            << "n=" << n;
    }
}

TEST_P(VecKernel, Sum) {
    for (int64_t n : kLengths) {
        const auto a = test::random_floats(static_cast<size_t>(n), 3);
        const std::vector<float> ones(static_cast<size_t>(n), 1.0f);
        EXPECT_NEAR(kernels().sum(a.data(), n), ref().sum(a.data(), n),
                    test::tolerance(a.data(), ones.data(), n))
            << "n=" << n;
    }
}

TEST_P(VecKernel, Axpy) {
    for (int64_t n : kLengths) {
        const auto x = test::random_floats(static_cast<size_t>(n), 4);
        auto y = test::random_floats(static_cast<size_t>(n), 5);
        auto expected = y;
        kernels().axpy(0.75f, x.data(), y.data(), n);
        ref().axpy(0.75f, x.data(), expected.data(), n);
        for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(y[static_cast<size_t>(i)], expected[static_cast<size_t>(i)], 1e-6) << "n=" << n;
    }
}

TEST_P(VecKernel, AttentionScores) {
    for (int64_t head_dim : {1, 7, 64, 80, 128})
        for (int64_t n_keys : {1, 3, 4, 5, 9, 16, 17, 37, 100}) {
            const int64_t stride = head_dim + 3;
            const auto q = test::random_floats(static_cast<size_t>(head_dim), 6);
            const auto k = test::random_floats(static_cast<size_t>(n_keys * stride), 7);
            std::vector<float> out(static_cast<size_t>(n_keys)), expected(static_cast<size_t>(n_keys));
            kernels().attn_scores(q.data(), k.data(), n_keys, stride, head_dim, 0.125f, out.data());
            ref().attn_scores(q.data(), k.data(), n_keys, stride, head_dim, 0.125f, expected.data());
            for (int64_t t = 0; t < n_keys; ++t)
                EXPECT_NEAR(out[static_cast<size_t>(t)], expected[static_cast<size_t>(t)],
                            0.125 * test::tolerance(q.data(), k.data() + t * stride, head_dim))
                    << "head_dim=" << head_dim << " t=" << t;
        }
}

TEST_P(VecKernel, ExpShiftSum) {
    for (int64_t n : kLengths) {
        auto x = test::random_floats(static_cast<size_t>(n), 8);
        for (size_t i = 0; i < x.size(); ++i) x[i] *= 30.0f;  // arguments down to about -60
        if (n > 3) x[3] = -1000.0f;                           // underflows to 0
        auto expected = x;
        const float shift = n > 0 ? *std::max_element(x.begin(), x.end()) : 0.0f;
        const float total = kernels().exp_shift_sum(x.data(), n, shift);
        const float want = ref().exp_shift_sum(expected.data(), n, shift);
        for (int64_t i = 0; i < n; ++i) {
            const size_t k = static_cast<size_t>(i);
            EXPECT_NEAR(x[k], expected[k], 1e-6f * expected[k] + 1e-37f) << "n=" << n << " i=" << i;
        }
        if (n > 3) {
            EXPECT_EQ(x[3], 0.0f);
        }
        EXPECT_NEAR(total, want, 1e-5f * want) << "n=" << n;
    }
}

TEST_P(VecKernel, AttentionValues) {
    for (int64_t head_dim : {1, 7, 8, 16, 20, 64, 80, 128, 256})
        for (int64_t n_keys : {1, 2, 3, 9, 100}) {
            SCOPED_TRACE("head_dim=" + std::to_string(head_dim) + " n_keys=" + std::to_string(n_keys));
            const int64_t stride = head_dim + 5;
            auto p = test::random_floats(static_cast<size_t>(n_keys), 9);
            for (float &w : p) w = std::fabs(w);
            const auto v = test::random_floats(static_cast<size_t>(n_keys * stride), 10);
            std::vector<float> out(static_cast<size_t>(head_dim)), expected(static_cast<size_t>(head_dim));
            kernels().attn_values(p.data(), v.data(), n_keys, stride, head_dim, out.data());
            ref().attn_values(p.data(), v.data(), n_keys, stride, head_dim, expected.data());
            for (int64_t d = 0; d < head_dim; ++d) {
                double bound = 0.0;  // |p| . |v| column d, times a few float roundings per term
                for (int64_t t = 0; t < n_keys; ++t) bound += p[static_cast<size_t>(t)] * std::fabs(v[static_cast<size_t>(t * stride + d)]);
                EXPECT_NEAR(out[static_cast<size_t>(d)], expected[static_cast<size_t>(d)],
                            4e-7 * bound * static_cast<double>(n_keys) + 1e-7);
            }
        }
}

// An f16 cache: the same products over K/V rows of half floats.
TEST_P(VecKernel, AttentionOverF16Cache) {
    for (int64_t head_dim : {7, 16, 64, 80, 128})
        for (int64_t n_keys : {1, 5, 16, 17, 40}) {
            SCOPED_TRACE("head_dim=" + std::to_string(head_dim) + " n_keys=" + std::to_string(n_keys));
            const int64_t stride = head_dim + 3;
            const auto q = test::random_floats(static_cast<size_t>(head_dim), 13);
            const auto kv = test::random_floats(static_cast<size_t>(n_keys * stride), 14);
            std::vector<uint16_t> kv16(kv.size());
            for (size_t i = 0; i < kv.size(); ++i) kv16[i] = f32_to_f16(kv[i]);
            std::vector<float> got(static_cast<size_t>(n_keys)), want(got.size());
            kernels().attn_scores_f16(q.data(), kv16.data(), n_keys, stride, head_dim, 0.125f, got.data());
            ref().attn_scores_f16(q.data(), kv16.data(), n_keys, stride, head_dim, 0.125f, want.data());
            for (size_t t = 0; t < got.size(); ++t)
                EXPECT_NEAR(got[t], want[t], 0.125 * test::tolerance(q.data(), kv.data() + t * stride, head_dim));
            auto p = test::random_floats(static_cast<size_t>(n_keys), 15);
            for (float &w : p) w = std::fabs(w);
            std::vector<float> out(static_cast<size_t>(head_dim)), expected(out.size());
            kernels().attn_values_f16(p.data(), kv16.data(), n_keys, stride, head_dim, out.data());
            ref().attn_values_f16(p.data(), kv16.data(), n_keys, stride, head_dim, expected.data());
            for (size_t d = 0; d < out.size(); ++d) EXPECT_NEAR(out[d], expected[d], 1e-5 * static_cast<double>(n_keys));
        }
}

TEST_P(VecKernel, SiluMul) {
    for (int64_t n : kLengths) {
        auto gate = test::random_floats(static_cast<size_t>(n), 11);
        for (size_t i = 0; i < gate.size(); ++i) gate[i] *= i % 7 == 0 ? 100.0f : 8.0f;  // both tails
        const auto up = test::random_floats(static_cast<size_t>(n), 12);
        std::vector<float> out(static_cast<size_t>(n)), expected(static_cast<size_t>(n));
        kernels().silu_mul(gate.data(), up.data(), out.data(), n);
        ref().silu_mul(gate.data(), up.data(), expected.data(), n);
        for (size_t i = 0; i < out.size(); ++i)
            EXPECT_NEAR(out[i], expected[i], 1e-6f * std::fabs(expected[i]) + 1e-30f) << "n=" << n << " i=" << i;
        auto in_place = gate;  // out may alias gate
        kernels().silu_mul(in_place.data(), up.data(), in_place.data(), n);
        EXPECT_EQ(in_place, out);
    }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, VecKernel, ::testing::Values(Isa::Scalar, Isa::Avx2, Isa::Avx512),
                         [](const ::testing::TestParamInfo<Isa> &info) {
                             return std::string(isa_name(info.param));
                         });

TEST(Vec, FreeFunctionsUseSelectedIsa) {
    EXPECT_EQ(&vec_kernels(), &vec_kernels_for(selected_isa()));
    const float a[3] = {1, 2, 3}, b[3] = {4, 5, 6};
    EXPECT_FLOAT_EQ(dot_f32(a, b, 3), 32.0f);
    EXPECT_FLOAT_EQ(sum_f32(a, 3), 6.0f);
}

}  // namespace
}  // namespace llmrt
