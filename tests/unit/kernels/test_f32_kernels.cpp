// Every ISA variant of the f32 matmul against the scalar reference, on ragged shapes.
#include <gtest/gtest.h>

#include <string>

#include "kernels/f32_kernels.h"
#include "test_util.h"

namespace llmrt {
namespace {

using MatmulRowsFn = void (*)(const Matrix &, const float *, int64_t, int64_t, float *, int64_t, int64_t, int64_t);

struct Variant {
    const char *name;
    Isa isa;
    MatmulRowsFn fn;
};

const Variant kVariants[] = {
    {"scalar", Isa::Scalar, &f32_matmul_rows_scalar},
    {"avx2", Isa::Avx2, &f32_matmul_rows_avx2},
    {"avx512", Isa::Avx512, &f32_matmul_rows_avx512},
};

class F32Kernel : public ::testing::TestWithParam<Variant> {
protected:
    void SetUp() override {
        if (!test::isa_supported(GetParam().isa)) GTEST_SKIP() << "CPU lacks " << GetParam().name;
    }
};

// Computes rows [r0, r1) with strided x and y and checks them against a double-precision dot,
// and that nothing outside those rows was written.
void check_shape(MatmulRowsFn fn, int64_t rows, int64_t cols, int64_t m, int64_t r0, int64_t r1,
                 int64_t ldx, int64_t ldy, uint32_t seed) {
    SCOPED_TRACE("rows=" + std::to_string(rows) + " cols=" + std::to_string(cols) +
                 " m=" + std::to_string(m) + " r0=" + std::to_string(r0) + " r1=" + std::to_string(r1));
    test::F32Weights w(rows, cols, seed);
    const std::vector<float> x = test::random_floats(static_cast<size_t>(m * ldx), seed + 1);
    constexpr float kSentinel = 12345.0f;
    std::vector<float> y(static_cast<size_t>(m * ldy), kSentinel);
    std::vector<float> ref(static_cast<size_t>(m * ldy), kSentinel);
    fn(w.matrix, x.data(), m, ldx, y.data(), ldy, r0, r1);
    f32_matmul_rows_scalar(w.matrix, x.data(), m, ldx, ref.data(), ldy, r0, r1);
    for (int64_t i = 0; i < m; ++i) {
        for (int64_t r = 0; r < ldy; ++r) {
            const size_t at = static_cast<size_t>(i * ldy + r);
            if (r < r0 || r >= r1) {
                ASSERT_EQ(y[at], kSentinel) << "wrote outside rows, i=" << i << " r=" << r;
                continue;
            }
            const double tol = test::tolerance(x.data() + i * ldx, w.row(r), cols);
            ASSERT_NEAR(y[at], ref[at], tol) << "i=" << i << " r=" << r;
        }
    }
}

TEST_P(F32Kernel, MatchesReferenceOnRaggedShapes) {
    uint32_t seed = 1;
    for (int64_t cols : {1, 7, 31, 33, 172, 4097})
        for (int64_t rows : {1, 3, 17, 100})
            for (int64_t m : {1, 2, 5, 33, 64})
                check_shape(GetParam().fn, rows, cols, m, 0, rows, cols, rows, seed++);
}

TEST_P(F32Kernel, SubrangeWithStridedInputAndOutput) {
    uint32_t seed = 100;
    for (int64_t cols : {7, 64, 100})
        for (int64_t m : {1, 3, 9})
            check_shape(GetParam().fn, 37, cols, m, 5, 30, cols + 3, 37 + 5, seed++);
}

TEST_P(F32Kernel, LongRowsNeedSeveralKBlocks) {
    check_shape(GetParam().fn, 9, 5000, 6, 0, 9, 5000, 9, 7);
}

TEST_P(F32Kernel, ZeroColumnsGiveZero) {
    check_shape(GetParam().fn, 5, 0, 3, 0, 5, 0, 5, 3);
}

INSTANTIATE_TEST_SUITE_P(AllIsas, F32Kernel, ::testing::ValuesIn(kVariants),
                         [](const ::testing::TestParamInfo<Variant> &info) {
                             return std::string(info.param.name);
                         });

TEST(WeightTypeF32, Descriptor) {
    const WeightType &t = weight_type_f32();
    EXPECT_EQ(t.name(), "f32");
    EXPECT_EQ(t.format(), nullptr);
    EXPECT_EQ(t.row_bytes(0), 0u);
    EXPECT_EQ(t.row_bytes(33), 132u);
    EXPECT_EQ(&t, &weight_type_f32());
}

TEST(WeightTypeF32, UnpackRowCopies) {
    test::F32Weights w(3, 17, 5);
    std::vector<float> out(17);
    weight_type_f32().unpack_row(w.matrix.row(2), 17, out.data());
    for (int c = 0; c < 17; ++c) EXPECT_EQ(out[static_cast<size_t>(c)], w.row(2)[c]);
}

}  // namespace
}  // namespace llmrt
