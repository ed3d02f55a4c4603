// Every ISA variant of the int8/int4 kernels, for every format and compute type, against the
// scalar reference of the same compute type, on ragged shapes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ostream>
#include <string>

#include "int_test_util.h"
#include "kernels/cpu_features.h"
#include "test_util.h"

namespace llmrt {
namespace {

void prepare_f32_ref(const IntGeom &g, const float *x, int64_t m, uint8_t *p) { int_prepare_ref(g, ComputeDtype::F32, x, m, p); }
void prepare_bf16_ref(const IntGeom &g, const float *x, int64_t m, uint8_t *p) { int_prepare_ref(g, ComputeDtype::BF16, x, m, p); }
void prepare_int8_ref(const IntGeom &g, const float *x, int64_t m, uint8_t *p) { int_prepare_ref(g, ComputeDtype::Int8, x, m, p); }

bool has_avx2() { return best_supported_isa() >= Isa::Avx2; }
bool has_avx512() { return best_supported_isa() >= Isa::Avx512; }
bool has_vnni() { return has_avx512() && cpu_features().avx512vnni; }
bool has_avx512bf16() { return has_avx512() && cpu_features().avx512bf16; }

struct Variant {
    const char *name;
    bool (*supported)();
    ComputeDtype compute;
    IntMatmulFn matmul;
    IntPrepareFn prepare;
    bool scalar_prepare;  // a SIMD kernel on the scalar prepare's output: the layouts agree
};

const Variant kVariants[] = {
    {"avx2_f32", &has_avx2, ComputeDtype::F32, &int_matmul_f32_avx2, &prepare_f32_ref, false},
    {"avx512_f32", &has_avx512, ComputeDtype::F32, &int_matmul_f32_avx512, &int_prepare_f32_avx512, false},
    {"avx512_f32_refprep", &has_avx512, ComputeDtype::F32, &int_matmul_f32_avx512, &prepare_f32_ref, true},
    {"vnni_int8", &has_vnni, ComputeDtype::Int8, &int_matmul_int8_vnni, &int_prepare_int8_avx512, false},
    {"vnni_int8_refprep", &has_vnni, ComputeDtype::Int8, &int_matmul_int8_vnni, &prepare_int8_ref, true},
    {"avx512bf16_bf16", &has_avx512bf16, ComputeDtype::BF16, &int_matmul_bf16_avx512bf16, &int_prepare_bf16_avx512,
     false},
    {"avx512bf16_bf16_refprep", &has_avx512bf16, ComputeDtype::BF16, &int_matmul_bf16_avx512bf16, &prepare_bf16_ref,
     true},
};

void PrintTo(const Variant &v, std::ostream *os) { *os << v.name; }

IntMatmulFn reference(ComputeDtype c) {
    switch (c) {
        case ComputeDtype::Int8: return &int_matmul_ref_int8;
        case ComputeDtype::BF16: return &int_matmul_ref_bf16;
        default: return &int_matmul_ref_f32;
    }
}

class IntKernel : public ::testing::TestWithParam<Variant> {
protected:
    void SetUp() override {
        if (!GetParam().supported()) GTEST_SKIP() << "CPU lacks " << GetParam().name;
    }
};

// Rows [r0, r1) of x W^T by the variant and by the reference; y is strided and everything outside
// the rows must stay untouched. The tolerance is relative to sum |w x| (float accumulation).
void check(const Variant &v, const QuantFormat &f, int64_t rows, int64_t cols, int64_t m, int64_t r0, int64_t r1,
           uint32_t seed) {
    SCOPED_TRACE(quant_format_name(f) + " rows=" + std::to_string(rows) + " cols=" + std::to_string(cols) +
                 " m=" + std::to_string(m) + " r0=" + std::to_string(r0) + " r1=" + std::to_string(r1));
    const test::IntWeights w(f, rows, cols, seed);
    const std::vector<float> x = test::random_floats(static_cast<size_t>(m * cols), seed + 7);
    AlignedBuffer<uint8_t> prepared(static_cast<size_t>(m * prep_row_bytes(w.g, v.compute)) + 1);
    v.prepare(w.g, x.data(), m, prepared.data());

    const int64_t ldy = rows + 3;
    constexpr float kSentinel = 12345.0f;
    std::vector<float> y(static_cast<size_t>(m * ldy), kSentinel), ref(y);
    v.matmul(w.g, w.matrix, x.data(), prepared.data(), m, cols, y.data(), ldy, r0, r1);
    reference(v.compute)(w.g, w.matrix, x.data(), nullptr, m, cols, ref.data(), ldy, r0, r1);

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
            AlignedBuffer<uint8_t> prepared(static_cast<size_t>(m * prep_row_bytes(w.g, v.compute)) + 1);
            v.prepare(w.g, x.data(), m, prepared.data());
            std::vector<float> before(static_cast<size_t>(m * 5)), after(before);
            v.matmul(w.g, w.matrix, x.data(), prepared.data(), m, cols, before.data(), 5, 0, 5);
            const int64_t last = w.g.nblocks - 1;
            std::vector<uint8_t> codes(static_cast<size_t>(w.g.block));
            for (int64_t r = 0; r < 5; ++r) {
                uint8_t *row = w.storage.data() + r * w.g.row_bytes;
                get_block_codes(w.g, row, last, codes.data());
                for (int64_t k = w.g.block_len(last); k < w.g.block; ++k) codes[k] = static_cast<uint8_t>(w.g.qmax);
                put_block_codes(w.g, row, last, codes.data());
            }
            v.matmul(w.g, w.matrix, x.data(), prepared.data(), m, cols, after.data(), 5, 0, 5);
            EXPECT_EQ(before, after);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, IntKernel, ::testing::ValuesIn(kVariants),
                         [](const ::testing::TestParamInfo<Variant> &info) { return std::string(info.param.name); });

// The SIMD int8 prepare must quantize exactly like the scalar one (the reference relies on it).
TEST(IntPrepare, Int8Avx512IsByteIdenticalToScalar) {
    if (!has_avx512()) GTEST_SKIP() << "CPU lacks AVX512";
    uint32_t seed = 40;
    for (const QuantFormat &f : test::all_int_formats())
        for (int64_t cols : {1, 31, 172, 4097})
            for (int64_t m : {1, 3}) {
                SCOPED_TRACE(quant_format_name(f) + " cols=" + std::to_string(cols));
                const IntGeom g = int_geom(f, cols);
                std::vector<float> x = test::gaussian_floats(static_cast<size_t>(m * cols), seed++);
                x[0] = 0.0f;
                const size_t n = static_cast<size_t>(m * prep_row_bytes(g, ComputeDtype::Int8));
                std::vector<uint8_t> a(n, 0xaa), b(n, 0x55);
                int_prepare_ref(g, ComputeDtype::Int8, x.data(), m, a.data());
                int_prepare_int8_avx512(g, x.data(), m, b.data());
                ASSERT_EQ(a, b);
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
    int_matmul_ref_int8(w.g, w.matrix, x.data(), prepared.data(), 1, 64, y, 4, 0, 4);
    for (float v : y) EXPECT_EQ(v, 0.0f);
    if (!has_vnni()) return;
    int_matmul_int8_vnni(w.g, w.matrix, x.data(), prepared.data(), 1, 64, y, 4, 0, 4);
    for (float v : y) EXPECT_EQ(v, 0.0f);
}

}  // namespace
}  // namespace llmrt
