// Every row of the kernel table's lut family (nf4/fp4/fp8) that this CPU runs against a
// double-precision dot of the unpacked weights, for every format, on ragged shapes. That dot is
// what the family's scalar references compute; they are rows too and held to it like the rest,
// so no row's check depends on the reference being right.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "kernels/kernel_table.h"
#include "kernels/lut_kernels.h"
#include "kernels/matmul.h"
#include "kernels/weight_types.h"
#include "test_lut_util.h"
#include "test_util.h"

namespace llmrt {
namespace {

std::string format_name(const ::testing::TestParamInfo<QuantFormat> &info) {
    std::string name = quant_format_name(info.param);
    std::replace(name.begin(), name.end(), '-', 'm');
    return name;
}

// One shape: a packed matrix, x rows ldx apart, and the expected outputs of both compute types,
// shared by all kernel rows (packing dominates the cost of these tests).
struct Problem {
    test::LutWeights w;
    int64_t m, ldx;
    std::vector<float> x, x_dense;  // x_dense: the contiguous rows prepare() takes
    std::vector<double> want[2], tol[2];  // [bf16]

    Problem(const QuantFormat &format, int64_t rows, int64_t cols, int64_t m_, int64_t ldx_, uint32_t seed)
        : w(format, nullptr, rows, cols, seed), m(m_), ldx(ldx_),
          x(test::random_floats(static_cast<size_t>(m * ldx), seed + 1)), x_dense(static_cast<size_t>(m * cols)) {
        for (int64_t i = 0; i < m; ++i)
            std::copy(x.begin() + i * ldx, x.begin() + i * ldx + cols, x_dense.begin() + i * cols);
        for (int bf16 = 0; bf16 < 2; ++bf16)
            for (int64_t i = 0; i < m; ++i)
                for (int64_t r = 0; r < rows; ++r) {
                    double dot, mag;
                    test::expected_dot(x.data() + i * ldx, w.row(r), cols, bf16 != 0, &dot, &mag);
                    want[bf16].push_back(dot);
                    tol[bf16].push_back(1e-5 * mag + 1e-30);
                }
    }
};

// Runs the row as matmul() does (prepare, then rows [r0, r1)) writing y rows ldy apart, and
// checks every output and that nothing outside the rows was written.
void check_row(const KernelRow &row, const Problem &p, int64_t r0, int64_t r1, int64_t ldy) {
    SCOPED_TRACE(std::string(row.name) + " rows=" + std::to_string(p.w.matrix.rows) + " cols=" +
                 std::to_string(p.w.matrix.cols) + " m=" + std::to_string(p.m) + " r0=" + std::to_string(r0) +
                 " r1=" + std::to_string(r1));
    ASSERT_TRUE(row.compute == ComputeDtype::F32 || row.compute == ComputeDtype::BF16) << "no expectation for it";
    const int bf16 = row.compute == ComputeDtype::BF16;  // BF16 compute semantics
    const LutLayout &l = p.w.layout;
    const size_t prepared_bytes = row.lut.prepared_bytes ? row.lut.prepared_bytes(l, p.m) : 0;
    std::vector<uint8_t> prepared(prepared_bytes);
    if (prepared_bytes > 0) row.lut.prepare(l, p.x_dense.data(), p.m, prepared.data());
    constexpr float kSentinel = 12345.0f;
    std::vector<float> y(static_cast<size_t>(p.m * ldy), kSentinel);
    row.lut.matmul(l, p.w.matrix, p.x.data(), prepared_bytes > 0 ? prepared.data() : nullptr, p.m, p.ldx, y.data(),
                   ldy, r0, r1);
    const int64_t rows = p.w.matrix.rows;
    for (int64_t i = 0; i < p.m; ++i)
        for (int64_t r = 0; r < ldy; ++r) {
            const float got = y[static_cast<size_t>(i * ldy + r)];
            if (r < r0 || r >= r1) {
                ASSERT_EQ(got, kSentinel) << "wrote outside rows, i=" << i << " r=" << r;
                continue;
            }
            const size_t at = static_cast<size_t>(i * rows + r);
            ASSERT_NEAR(got, p.want[bf16][at], p.tol[bf16][at]) << "i=" << i << " r=" << r;
        }
}

void check_shape(const QuantFormat &f, int64_t rows, int64_t cols, int64_t m, int64_t r0, int64_t r1, int64_t ldx,
                 int64_t ldy, uint32_t seed) {
    const Problem p(f, rows, cols, m, ldx, seed);
    for (const KernelRow &row : kernel_table())
        if (row.family == KernelFamily::Lut && kernel_runs_on_cpu(row)) check_row(row, p, r0, r1, ldy);
}

// Every format, every row this CPU can run.
class LutKernel : public ::testing::TestWithParam<QuantFormat> {};

const int64_t kCols[] = {1, 7, 31, 33, 64, 172, 200, 4097};

TEST_P(LutKernel, MatchesReferenceOnRaggedShapes) {
    // Every rows and m value meets every cols value, without the full product (kept quick).
    struct RowsM {
        int64_t rows, m;
    };
    const RowsM pairs[] = {{1, 1}, {3, 2}, {17, 5}, {100, 1}, {17, 33}, {3, 64}, {100, 2}};
    uint32_t seed = 1;
    for (int64_t cols : kCols)
        for (const RowsM &p : pairs) check_shape(GetParam(), p.rows, cols, p.m, 0, p.rows, cols, p.rows, seed++);
}

TEST_P(LutKernel, SubrangeWithStridedInputAndOutput) {
    uint32_t seed = 100;
    for (int64_t cols : {64, 100, 256})
        for (int64_t m : {1, 3, 9}) check_shape(GetParam(), 37, cols, m, 5, 30, cols + 3, 37 + 5, seed++);
}

TEST_P(LutKernel, LongRowsNeedSeveralKBlocks) {
    check_shape(GetParam(), 13, 5000, 1, 0, 13, 5000, 13, 7);
    check_shape(GetParam(), 13, 5000, 6, 0, 13, 5000, 13, 8);
}

TEST_P(LutKernel, ZeroColumnsGiveZero) { check_shape(GetParam(), 5, 0, 3, 0, 5, 0, 5, 3); }

INSTANTIATE_TEST_SUITE_P(All, LutKernel, ::testing::ValuesIn(test::all_lut_formats()), format_name);

TEST(LutKernelOddGroups, SplitBlocksMatchReference) {
    uint32_t seed = 300;
    for (QuantKind k : test::kLutKinds)
        for (int32_t g : {16, 48, 80})
            for (int64_t cols : {16, 33, 160, 300})
                for (int64_t m : {1, 4}) check_shape(test::lut_format(k, g, ScaleDtype::F32), 11, cols, m, 0, 11, cols, 11, seed++);
}

// Every bf16 row's prepare rounds and orders x like the scalar one.
TEST(LutPrepare, Bf16SimdMatchesScalar) {
    std::vector<KernelRow> rows;
    for (const KernelRow &row : test::kernel_rows(KernelFamily::Lut))
        if (row.compute == ComputeDtype::BF16 && row.lut.prepare != nullptr && kernel_runs_on_cpu(row))
            rows.push_back(row);
    if (rows.empty()) GTEST_SKIP() << "CPU runs no bf16 prepare";
    for (const KernelRow &row : rows)
        for (int64_t cols : {1, 17, 64, 100}) {
            const LutLayout l = lut_layout(test::lut_format(QuantKind::NF4, 32, ScaleDtype::F32), cols);
            std::vector<float> x = test::random_floats(static_cast<size_t>(3 * cols), 5);
            // Ties, denormals and extremes, where rounding rules differ.
            const float special[] = {1.0f + 1.0f / 256, 1.0f + 3.0f / 256, 1e-39f, -1e-39f, 3.4e38f, -0.0f, 1e-45f};
            for (size_t i = 0; i < std::size(special) && i < x.size(); ++i) x[i] = special[i];
            std::vector<uint8_t> a(lut_bf16_prepared_bytes(l, 3)), b(row.lut.prepared_bytes(l, 3));
            lut_bf16_prepare_scalar(l, x.data(), 3, a.data());
            row.lut.prepare(l, x.data(), 3, b.data());
            EXPECT_EQ(a, b) << row.name << " cols=" << cols;
        }
}

// matmul() through the pool with the registered types, which pick their kernels from the CPU.
class LutMatmulThreads : public ::testing::TestWithParam<int> {};

TEST_P(LutMatmulThreads, MatchesReference) {
    ThreadPool pool(GetParam());
    uint32_t seed = 500;
    for (ComputeDtype compute : {ComputeDtype::F32, ComputeDtype::BF16, ComputeDtype::Auto})
        for (const char *name : {"nf4_g64_sym_fp32", "fp4_g32_sym_bf16", "fp8_e4m3_g128_sym_fp32", "fp8_e5m2_grow_sym_bf16"})
            for (int64_t m : {1, 7}) {
                const WeightType *type = find_weight_type(name, compute);
                ASSERT_NE(type, nullptr);
                SCOPED_TRACE(std::string(name) + " compute " + compute_dtype_name(type->compute()) + " m=" +
                             std::to_string(m));
                const int64_t rows = 75, cols = 172;
                const test::LutWeights w(*type->format(), type, rows, cols, seed++);
                const std::vector<float> x = test::random_floats(static_cast<size_t>(m * cols), seed++);
                std::vector<float> y(static_cast<size_t>(m * rows), -1.0f);
                matmul(w.matrix, x.data(), m, y.data(), pool);
                const bool bf16 = type->compute() == ComputeDtype::BF16;
                for (int64_t i = 0; i < m; ++i)
                    for (int64_t r = 0; r < rows; ++r) {
                        double want, mag;
                        test::expected_dot(x.data() + i * cols, w.row(r), cols, bf16, &want, &mag);
                        ASSERT_NEAR(y[static_cast<size_t>(i * rows + r)], want, 1e-5 * mag) << "i=" << i << " r=" << r;
                    }
            }
}

INSTANTIATE_TEST_SUITE_P(Pool, LutMatmulThreads, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace llmrt
