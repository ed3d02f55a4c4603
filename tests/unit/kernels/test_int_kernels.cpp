// Every kernel row of the kernel table's int family (int8/int4), for every format, against the
// family's scalar reference of the same compute type, on ragged shapes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "int_test_util.h"
#include "kernels/int_gemm.h"
#include "kernels/kernel_table.h"
#include "test_util.h"

namespace llmrt {
namespace {

IntPrepareFn reference_prepare(ComputeDtype c) {
    switch (c) {
        case ComputeDtype::Int8: return &int_prepare_ref_int8;
        case ComputeDtype::BF16: return &int_prepare_ref_bf16;
        default: return &int_prepare_ref_f32;
    }
}

struct Variant {
    KernelRow row;
    IntPrepareFn prepare;  // nullptr: the kernel reads x itself
    bool scalar_prepare;   // a SIMD kernel on the scalar prepare's output: the layouts agree
    std::string name;
};

void PrintTo(const Variant &v, std::ostream *os) { *os << v.name; }

// Each kernel row with its own prepare, and again with the scalar prepare where that differs.
// The reference rows are what the others are compared against.
std::vector<Variant> int_variants() {
    std::vector<Variant> out;
    for (const KernelRow &row : test::kernel_rows(KernelFamily::Int)) {
        if (row.role != KernelRole::Kernel) continue;
        out.push_back({row, row.integer.prepare, false, row.name});
        const IntPrepareFn scalar = reference_prepare(row.compute);
        if (row.integer.prepare != nullptr && row.integer.prepare != scalar)
            out.push_back({row, scalar, true, std::string(row.name) + "_refprep"});
    }
    return out;
}

class IntKernel : public ::testing::TestWithParam<Variant> {
protected:
    void SetUp() override {
        if (!kernel_runs_on_cpu(GetParam().row)) GTEST_SKIP() << "CPU lacks " << GetParam().name;
    }
};

// What the variant's prepare writes for x (nullptr when the kernel reads x itself).
const uint8_t *prepare_for(const Variant &v, const IntGeom &g, const std::vector<float> &x, int64_t m,
                           AlignedBuffer<uint8_t> &buffer) {
    if (v.prepare == nullptr) return nullptr;
    v.prepare(g, x.data(), m, buffer.data());
    return buffer.data();
}

// Rows [r0, r1) of x W^T by the variant and by the reference; y is strided and everything outside
// the rows must stay untouched. The tolerance is relative to sum |w x| (float accumulation).
void check(const Variant &v, const QuantFormat &f, int64_t rows, int64_t cols, int64_t m, int64_t r0, int64_t r1,
           uint32_t seed) {
    SCOPED_TRACE(quant_format_name(f) + " rows=" + std::to_string(rows) + " cols=" + std::to_string(cols) +
                 " m=" + std::to_string(m) + " r0=" + std::to_string(r0) + " r1=" + std::to_string(r1));
    const test::IntWeights w(f, rows, cols, seed);
    const std::vector<float> x = test::random_floats(static_cast<size_t>(m * cols), seed + 7);
    AlignedBuffer<uint8_t> buffer(static_cast<size_t>(m * prep_row_bytes(w.g, v.row.compute)) + 1);
    const uint8_t *prepared = prepare_for(v, w.g, x, m, buffer);

    const int64_t ldy = rows + 3;
    constexpr float kSentinel = 12345.0f;
    std::vector<float> y(static_cast<size_t>(m * ldy), kSentinel), ref(y);
    v.row.integer.matmul(w.g, w.matrix, x.data(), prepared, m, cols, y.data(), ldy, r0, r1);
    reference_kernel(KernelFamily::Int, v.row.compute)
        ->integer.matmul(w.g, w.matrix, x.data(), nullptr, m, cols, ref.data(), ldy, r0, r1);

    for (int64_t r = 0; r < ldy; ++r) {
        std::vector<float> wr;
        if (r >= r0 && r < r1) wr = w.unpacked_row(r);
        for (int64_t i = 0; i < m; ++i) {
            const size_t at = static_cast<size_t>(i * ldy + r);
            if (r < r0 || r >= r1) {
                ASSERT_EQ(y[at], kSentinel) << "wrote outside rows, i=" << i << " r=" << r;
                continue;
            }
            double mag = 0.0;
            for (int64_t c = 0; c < cols; ++c) mag += std::fabs(static_cast<double>(wr[c]) * x[i * cols + c]);
            ASSERT_NEAR(y[at], ref[at], 1e-5 * mag + 1e-6) << "i=" << i << " r=" << r;
        }
    }
}

// Each column count with each batch size; rows cycle through their list and shrink for the big
// shapes so the scalar reference stays quick.
TEST_P(IntKernel, MatchesReferenceOnRaggedShapes) {
    const int64_t kCols[] = {1, 7, 31, 33, 64, 172, 200, 4097};
    const int64_t kRows[] = {1, 3, 17, 100};
    const int64_t kM[] = {1, 2, 5, 33, 64};
    uint32_t seed = 1;
    for (const QuantFormat &f : test::all_int_formats()) {
        int n = 0;
        for (int64_t cols : kCols)
            for (int64_t m : kM) {
                const int64_t rows = std::min<int64_t>(kRows[n++ % 4], std::max<int64_t>(3, 200000 / (cols * m)));
                check(GetParam(), f, rows, cols, m, 0, rows, seed++);
                if (HasFatalFailure()) return;
            }
    }
}

// Several K chunks, several blocks of W rows, partial tiles, a row sub-range (on a few formats:
// the ragged test covers the rest).
TEST_P(IntKernel, LargeShapesUseEveryLoopLevel) {
    if (GetParam().scalar_prepare) GTEST_SKIP() << "layouts are covered by the ragged shapes";
    uint32_t seed = 500;
    for (const QuantFormat &f : test::all_int_formats()) {
        const bool g32_fp32 = f.group_size == 32 && f.scale == ScaleDtype::F32;
        const bool row_bf16 = f.group_size == -1 && f.scale == ScaleDtype::BF16;
        if (!g32_fp32 && !row_bf16 && !(f.group_size == 128 && f.asym)) continue;
        check(GetParam(), f, 150, 5000, 9, 5, 147, seed++);
        if (HasFatalFailure()) return;
        // More x rows than one block of kIntMBlockRows, the last block partial and ragged.
        check(GetParam(), f, 40, 700, kIntMBlockRows + 7, 3, 37, seed++);
        if (HasFatalFailure()) return;
        // fp16 scales (GGUF's blocks) through the same loops.
        QuantFormat f16 = f;
        f16.scale = ScaleDtype::F16;
        check(GetParam(), f16, 40, 700, kIntMBlockRows + 7, 3, 37, seed++);
        if (HasFatalFailure()) return;
    }
}

TEST_P(IntKernel, ZeroColumnsGiveZero) {
    for (const QuantFormat &f : test::all_int_formats()) {
        check(GetParam(), f, 5, 0, 3, 0, 5, 3);
        if (HasFatalFailure()) return;
    }
}

// Codes past the row's end (in the padding of the last block) must not change any result.
TEST_P(IntKernel, PaddingCodesAreIgnored) {
    const Variant &v = GetParam();
    for (const QuantFormat &f : test::all_int_formats()) {
        for (int64_t cols : {7, 172, 200}) {
            SCOPED_TRACE(quant_format_name(f) + " cols=" + std::to_string(cols));
            test::IntWeights w(f, 5, cols, 9);
            const int64_t m = 3;
            const std::vector<float> x = test::random_floats(static_cast<size_t>(m * cols), 10);
            AlignedBuffer<uint8_t> buffer(static_cast<size_t>(m * prep_row_bytes(w.g, v.row.compute)) + 1);
            const uint8_t *prepared = prepare_for(v, w.g, x, m, buffer);
            std::vector<float> before(static_cast<size_t>(m * 5)), after(before);
            v.row.integer.matmul(w.g, w.matrix, x.data(), prepared, m, cols, before.data(), 5, 0, 5);
            const int64_t last = w.g.nblocks - 1;
            std::vector<uint8_t> codes(static_cast<size_t>(w.g.block));
            for (int64_t r = 0; r < 5; ++r) {
                uint8_t *row = w.storage.data() + r * w.g.row_bytes;
                get_block_codes(w.g, row, last, codes.data());
                for (int64_t k = w.g.block_len(last); k < w.g.block; ++k) codes[k] = static_cast<uint8_t>(w.g.qmax);
                put_block_codes(w.g, row, last, codes.data());
            }
            v.row.integer.matmul(w.g, w.matrix, x.data(), prepared, m, cols, after.data(), 5, 0, 5);
            EXPECT_EQ(before, after);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Table, IntKernel, ::testing::ValuesIn(int_variants()),
                         [](const ::testing::TestParamInfo<Variant> &info) { return info.param.name; });

// The int8 rows this CPU runs, other than the reference.
std::vector<KernelRow> int8_kernels_here() {
    std::vector<KernelRow> out;
    for (const KernelRow &row : test::kernel_rows(KernelFamily::Int))
        if (row.compute == ComputeDtype::Int8 && row.role == KernelRole::Kernel && kernel_runs_on_cpu(row))
            out.push_back(row);
    return out;
}

// Every SIMD int8 prepare must quantize exactly like the scalar one (the reference relies on it).
TEST(IntPrepare, Int8SimdIsByteIdenticalToScalar) {
    std::vector<KernelRow> rows;
    for (const KernelRow &row : int8_kernels_here())
        if (row.integer.prepare != nullptr && row.integer.prepare != &int_prepare_ref_int8) rows.push_back(row);
    if (rows.empty()) GTEST_SKIP() << "CPU runs no SIMD int8 prepare";
    for (const KernelRow &row : rows) {
        uint32_t seed = 40;
        for (const QuantFormat &f : test::all_int_formats())
            for (int64_t cols : {1, 31, 172, 4097})
                for (int64_t m : {1, 3}) {
                    SCOPED_TRACE(std::string(row.name) + " " + quant_format_name(f) + " cols=" + std::to_string(cols));
                    const IntGeom g = int_geom(f, cols);
                    std::vector<float> x = test::gaussian_floats(static_cast<size_t>(m * cols), seed++);
                    x[0] = 0.0f;
                    const size_t n = static_cast<size_t>(m * prep_row_bytes(g, ComputeDtype::Int8));
                    std::vector<uint8_t> a(n, 0xaa), b(n, 0x55);
                    int_prepare_ref(g, ComputeDtype::Int8, x.data(), m, a.data());
                    row.integer.prepare(g, x.data(), m, b.data());
                    ASSERT_EQ(a, b);
                }
    }
}

// An all-zero block of x (amax 0) quantizes to zeros with dx 0, not NaN.
TEST(IntPrepare, ZeroActivationsGiveZero) {
    QuantFormat f;
    f.kind = QuantKind::Int4;
    const test::IntWeights w(f, 4, 64, 3);
    const std::vector<float> x(64, 0.0f);
    std::vector<uint8_t> prepared(static_cast<size_t>(prep_row_bytes(w.g, ComputeDtype::Int8)));
    int_prepare_ref(w.g, ComputeDtype::Int8, x.data(), 1, prepared.data());
    float y[4] = {1, 1, 1, 1};
    reference_kernel(KernelFamily::Int, ComputeDtype::Int8)
        ->integer.matmul(w.g, w.matrix, x.data(), prepared.data(), 1, 64, y, 4, 0, 4);
    for (float v : y) EXPECT_EQ(v, 0.0f);
    for (const KernelRow &row : int8_kernels_here()) {
        std::fill(y, y + 4, 1.0f);
        row.integer.matmul(w.g, w.matrix, x.data(), prepared.data(), 1, 64, y, 4, 0, 4);
        for (float v : y) EXPECT_EQ(v, 0.0f) << row.name;
    }
}

}  // namespace
}  // namespace llmrt
