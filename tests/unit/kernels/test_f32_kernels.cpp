// Every row of the kernel table's f32 family that this CPU runs (the scalar reference included:
// it too must write only its rows) against the family's reference, on ragged shapes.
#include <gtest/gtest.h>

#include <string>

#include "kernels/kernel_table.h"
#include "test_util.h"

namespace llmrt {
namespace {

class F32Kernel : public ::testing::TestWithParam<KernelRow> {
protected:
    void SetUp() override {
        if (!kernel_runs_on_cpu(GetParam())) GTEST_SKIP() << "CPU lacks " << GetParam().name;
    }
};

// Computes rows [r0, r1) with strided x and y and checks them against the reference, which
// accumulates in double, and that nothing outside those rows was written.
void check_shape(F32MatmulFn fn, int64_t rows, int64_t cols, int64_t m, int64_t r0, int64_t r1,
                 int64_t ldx, int64_t ldy, uint32_t seed) {
    SCOPED_TRACE("rows=" + std::to_string(rows) + " cols=" + std::to_string(cols) +
                 " m=" + std::to_string(m) + " r0=" + std::to_string(r0) + " r1=" + std::to_string(r1));
    test::F32Weights w(rows, cols, seed);
    const std::vector<float> x = test::random_floats(static_cast<size_t>(m * ldx), seed + 1);
    constexpr float kSentinel = 12345.0f;
    std::vector<float> y(static_cast<size_t>(m * ldy), kSentinel);
    std::vector<float> ref(static_cast<size_t>(m * ldy), kSentinel);
    fn(w.matrix, x.data(), m, ldx, y.data(), ldy, r0, r1);
    reference_kernel(KernelFamily::F32, ComputeDtype::F32)->f32.matmul(w.matrix, x.data(), m, ldx, ref.data(), ldy,
                                                                      r0, r1);
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
                check_shape(GetParam().f32.matmul, rows, cols, m, 0, rows, cols, rows, seed++);
}

TEST_P(F32Kernel, SubrangeWithStridedInputAndOutput) {
    uint32_t seed = 100;
    for (int64_t cols : {7, 64, 100})
        for (int64_t m : {1, 3, 9})
            check_shape(GetParam().f32.matmul, 37, cols, m, 5, 30, cols + 3, 37 + 5, seed++);
}

TEST_P(F32Kernel, LongRowsNeedSeveralKBlocks) {
    check_shape(GetParam().f32.matmul, 9, 5000, 6, 0, 9, 5000, 9, 7);
}

TEST_P(F32Kernel, ZeroColumnsGiveZero) {
    check_shape(GetParam().f32.matmul, 5, 0, 3, 0, 5, 0, 5, 3);
}

INSTANTIATE_TEST_SUITE_P(Table, F32Kernel, ::testing::ValuesIn(test::kernel_rows(KernelFamily::F32)),
                         test::kernel_row_name);

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
