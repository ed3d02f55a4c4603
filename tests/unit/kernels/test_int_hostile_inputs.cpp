// Every int kernel row of the kernel table on inputs a corrupt file can produce: weights and
// scales of random bits, activations holding NaN, inf, values near FLT_MAX, subnormals and random
// bits. Nothing may be undefined (the sanitizer build runs this under UBSan), the SIMD rows must
// match the scalar reference wherever the result is finite, and a NaN activation must never give
// a finite output.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "int_test_util.h"
#include "kernels/kernel_table.h"
#include "test_util.h"

namespace llmrt {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

float from_bits(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

IntPrepareFn reference_prepare(ComputeDtype c) {
    switch (c) {
        case ComputeDtype::Int8: return &int_prepare_ref_int8;
        case ComputeDtype::BF16: return &int_prepare_ref_bf16;
        default: return &int_prepare_ref_f32;
    }
}

// Activations, one row per case. Row 0 is ordinary; the others each hide something in
// otherwise ordinary values.
enum XRow { Plain, OneNaN, PlusInf, MinusInf, Huge, Subnormal, AllHuge, RandomBits, kXRows };

std::vector<float> hostile_x(int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<float> x = test::random_floats(static_cast<size_t>(kXRows * cols), seed);
    auto row = [&](int r) { return x.data() + r * cols; };
    auto somewhere = [&] { return static_cast<int64_t>(rng() % static_cast<uint32_t>(cols)); };
    row(OneNaN)[somewhere()] = kNaN;
    row(PlusInf)[somewhere()] = kInf;
    row(MinusInf)[somewhere()] = -kInf;
    row(Huge)[somewhere()] = std::numeric_limits<float>::max();
    for (int64_t c = 0; c < cols; ++c) {
        row(Subnormal)[c] = from_bits(static_cast<uint32_t>(rng() % 0x00800000u) | (rng() % 2 ? 0x80000000u : 0u));
        row(AllHuge)[c] = (c % 2 ? -1.0f : 1.0f) * std::numeric_limits<float>::max() / static_cast<float>(1 + c % 3);
        row(RandomBits)[c] = from_bits(static_cast<uint32_t>(rng()));
    }
    return x;
}

bool has_nan(const float *x, int64_t n) {
    for (int64_t i = 0; i < n; ++i)
        if (std::isnan(x[i])) return true;
    return false;
}

// Weights of the format's size filled with random bytes: codes of every value, scales and mins
// of every bit pattern (NaN, inf, subnormal, huge).
struct RandomBitWeights {
    const WeightType *type;
    IntGeom g;
    AlignedBuffer<uint8_t> storage;
    Matrix matrix;

    RandomBitWeights(const QuantFormat &format, int64_t rows, int64_t cols, uint32_t seed)
        : type(&weight_type_for(format, ComputeDtype::F32)),
          g(int_geom(format, cols)),
          storage(static_cast<size_t>(rows * g.row_bytes) + 1) {
        std::mt19937 rng(seed);
        for (size_t i = 0; i < storage.size(); ++i) storage[i] = static_cast<uint8_t>(rng());
        matrix.type = type;
        matrix.rows = rows;
        matrix.cols = cols;
        matrix.data = storage.data();
    }
};

// Kernels compute a group as scale * sum(code * x) + offset * sum(x) (int_quant.h), so it is these
// terms, not |w x|, that float accumulation rounds and can overflow. For one output: `scaled` is
// the sum over blocks and positions of (|scale * code| + |offset|) * |x| (the tolerance scale),
// `unscaled` that of (code + 1) * |x| (the float sums before the scale is applied), in double.
struct Magnitudes {
    double scaled = 0.0, unscaled = 0.0;
};

Magnitudes magnitudes(const RandomBitWeights &w, const std::vector<float> &x, int64_t i, int64_t r) {
    const IntGeom &g = w.g;
    const float *xi = x.data() + i * g.cols;
    uint8_t codes[kMaxIntGroup];
    Magnitudes mag;
    for (int64_t b = 0; b < g.nblocks; ++b) {
        const BlockParams p = block_params(g, w.matrix.row(r), b);
        get_block_codes(g, w.matrix.row(r), b, codes);
        const double offset = g.asym ? p.min : -static_cast<double>(g.zero) * p.scale;
        for (int64_t k = 0; k < g.block_len(b); ++k) {
            const double ax = std::fabs(static_cast<double>(xi[b * g.block + k]));
            mag.scaled += (std::fabs(static_cast<double>(p.scale) * codes[k]) + std::fabs(offset)) * ax;
            mag.unscaled += (codes[k] + 1.0) * ax;
        }
    }
    return mag;
}

// Adds to *compared the outputs that were finite enough to compare with the reference.
void check_row(const KernelRow &row, IntPrepareFn prepare, const QuantFormat &f, int64_t rows, int64_t cols,
               uint32_t seed, int *compared) {
    SCOPED_TRACE(std::string(row.name) + " " + quant_format_name(f) + " cols=" + std::to_string(cols));
    const RandomBitWeights w(f, rows, cols, seed);
    const std::vector<float> x = hostile_x(cols, seed + 1);
    const int64_t m = kXRows;
    AlignedBuffer<uint8_t> buffer(static_cast<size_t>(m * prep_row_bytes(w.g, row.compute)) + 1);
    if (prepare) prepare(w.g, x.data(), m, buffer.data());
    std::vector<float> y(static_cast<size_t>(m * rows)), ref(y);
    row.integer.matmul(w.g, w.matrix, x.data(), prepare ? buffer.data() : nullptr, m, cols, y.data(), rows, 0, rows);
    reference_kernel(KernelFamily::Int, row.compute)
        ->integer.matmul(w.g, w.matrix, x.data(), nullptr, m, cols, ref.data(), rows, 0, rows);

    for (int64_t i = 0; i < m; ++i) {
        const bool x_nan = has_nan(x.data() + i * cols, cols);
        for (int64_t r = 0; r < rows; ++r) {
            const float got = y[static_cast<size_t>(i * rows + r)];
            const float want = ref[static_cast<size_t>(i * rows + r)];
            if (x_nan) {
                ASSERT_TRUE(std::isnan(got)) << "x row " << i << " holds a NaN, output " << r << " is " << got;
                continue;
            }
            // vdpbf16ps reads subnormal inputs as zero, the reference does not: with huge random
            // scales the difference shows.
            if (row.compute == ComputeDtype::BF16 && i == Subnormal) continue;
            const Magnitudes mag = magnitudes(w, x, i, r);
            // Float sums overflow where the double reference's do not.
            if (!std::isfinite(want) || !(mag.scaled < 1e30) || !(mag.unscaled < 1e30)) continue;
            ASSERT_NEAR(got, want, 1e-5 * mag.scaled + 1e-30) << "x row " << i << " output " << r;
            ++*compared;
        }
    }
}

std::vector<QuantFormat> some_int_formats() {
    std::vector<QuantFormat> out;
    for (const QuantFormat &f : test::all_int_formats())
        if (f.group_size == 32 || f.group_size == -1 || (f.group_size == 128 && f.asym)) out.push_back(f);
    return out;
}

class IntHostile : public ::testing::TestWithParam<KernelRow> {
protected:
    void SetUp() override {
        if (!kernel_runs_on_cpu(GetParam())) GTEST_SKIP() << "CPU lacks " << GetParam().name;
    }
};

// Each row with its own prepare and with the scalar one (the references read x directly).
TEST_P(IntHostile, RandomBitWeightsAndNonFiniteActivations) {
    const KernelRow &row = GetParam();
    uint32_t seed = 11;
    int compared = 0, cases = 0;
    for (const QuantFormat &f : some_int_formats())
        for (int64_t cols : {31, 64, 200}) {
            check_row(row, row.integer.prepare, f, 7, cols, seed++, &compared);
            ++cases;
            if (HasFatalFailure()) return;
            if (row.integer.prepare && row.integer.prepare != reference_prepare(row.compute)) {
                check_row(row, reference_prepare(row.compute), f, 7, cols, seed++, &compared);
                ++cases;
                if (HasFatalFailure()) return;
            }
        }
    // Random scales leave enough outputs finite that the comparison is not vacuous: of the
    // 7 x 8 outputs of a case, 6 to 15 on average (fewer with bf16 compute, which skips a row).
    EXPECT_GT(compared, 4 * cases);
}

INSTANTIATE_TEST_SUITE_P(Table, IntHostile, ::testing::ValuesIn(test::kernel_rows(KernelFamily::Int)),
                         test::kernel_row_name);

// The SIMD int8 prepare quantizes hostile blocks byte for byte like the scalar one: a block with
// NaN or inf gives zeros with dx NaN, a block of subnormals (127 / amax overflows) zeros.
TEST(IntPrepareHostile, Int8SimdIsByteIdenticalToScalar) {
    int checked = 0;
    for (const KernelRow &row : test::kernel_rows(KernelFamily::Int)) {
        if (row.compute != ComputeDtype::Int8 || !row.integer.prepare ||
            row.integer.prepare == &int_prepare_ref_int8 || !kernel_runs_on_cpu(row))
            continue;
        uint32_t seed = 70;
        for (const QuantFormat &f : some_int_formats())
            for (int64_t cols : {1, 31, 172}) {
                SCOPED_TRACE(std::string(row.name) + " " + quant_format_name(f) + " cols=" + std::to_string(cols));
                const IntGeom g = int_geom(f, cols);
                const std::vector<float> x = hostile_x(cols, seed++);
                const size_t n = static_cast<size_t>(kXRows * prep_row_bytes(g, ComputeDtype::Int8));
                std::vector<uint8_t> a(n, 0xaa), b(n, 0x55);
                int_prepare_ref(g, ComputeDtype::Int8, x.data(), kXRows, a.data());
                row.integer.prepare(g, x.data(), kXRows, b.data());
                ASSERT_EQ(a, b);
                ++checked;
            }
    }
    if (checked == 0) GTEST_SKIP() << "CPU runs no SIMD int8 prepare";
}

// What the int8 prepare writes for one block of each kind, read back from the scalar prepare.
TEST(IntPrepareHostile, NonFiniteBlocksQuantizeToZerosWithNaNScale) {
    QuantFormat f;
    f.kind = QuantKind::Int8;
    const IntGeom g = int_geom(f, 32);
    for (float bad : {kNaN, kInf, -kInf}) {
        std::vector<float> x = test::random_floats(32, 5);
        x[9] = bad;
        std::vector<uint8_t> prepared(static_cast<size_t>(prep_row_bytes(g, ComputeDtype::Int8)), 0xcc);
        int_prepare_ref(g, ComputeDtype::Int8, x.data(), 1, prepared.data());
        float dx, dx_sum;
        std::memcpy(&dx, prepared.data(), sizeof dx);
        std::memcpy(&dx_sum, prepared.data() + 64, sizeof dx_sum);
        EXPECT_TRUE(std::isnan(dx)) << bad;
        EXPECT_TRUE(std::isnan(dx_sum)) << bad;
        for (int64_t k = 0; k < 32; ++k)
            EXPECT_EQ(prepared[static_cast<size_t>(128 + (k / 4) * 64 + prep_pos(g, ComputeDtype::Int8, 0, k % 4))], 0)
                << bad << " k=" << k;
    }
    // Subnormal activations: 127 / amax is inf, so the block quantizes to zeros with a finite dx.
    std::vector<float> x(32, from_bits(3));
    std::vector<uint8_t> prepared(static_cast<size_t>(prep_row_bytes(g, ComputeDtype::Int8)), 0xcc);
    int_prepare_ref(g, ComputeDtype::Int8, x.data(), 1, prepared.data());
    float dx;
    std::memcpy(&dx, prepared.data(), sizeof dx);
    EXPECT_TRUE(std::isfinite(dx));
    for (int64_t k = 0; k < 32; ++k)
        EXPECT_EQ(prepared[static_cast<size_t>(128 + (k / 4) * 64 + prep_pos(g, ComputeDtype::Int8, 0, k % 4))], 0);
}

}  // namespace
}  // namespace llmrt
