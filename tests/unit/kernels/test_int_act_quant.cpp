// W8A8's activation quantization (Matrix::act_amax): one scale per row of x (dynamic, per token)
// or one static scale with saturation. The scalar reference must compute exactly that (checked
// against a direct computation here), and every int8-compute kernel row with its own prepare must
// match the reference (and write the same prepared bytes as the scalar prepare).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "int_test_util.h"
#include "kernels/kernel_table.h"
#include "test_util.h"

namespace llmrt {
namespace {

QuantFormat int_format(QuantKind kind, int32_t group) {
    QuantFormat f;
    f.kind = kind;
    f.group_size = group;
    return f;
}

// x with a few channels (every 13th) 30 times larger than the rest, as activations have.
std::vector<float> outlier_inputs(int64_t m, int64_t cols, uint32_t seed) {
    std::vector<float> x = test::gaussian_floats(static_cast<size_t>(m * cols), seed);
    for (int64_t i = 0; i < m; ++i)
        for (int64_t c = 0; c < cols; c += 13) x[static_cast<size_t>(i * cols + c)] *= 30.0f;
    return x;
}

// y = x W^T with x quantized to int8 by `amax` per row (amax_of_row(i)), in double, written out
// from the definition rather than through the kernels' helpers.
template <class AmaxOf>
std::vector<double> direct(const test::IntWeights &w, const std::vector<float> &x, int64_t m, AmaxOf amax_of_row) {
    const int64_t cols = w.matrix.cols, rows = w.matrix.rows;
    std::vector<double> y(static_cast<size_t>(m * rows));
    for (int64_t r = 0; r < rows; ++r) {
        const std::vector<float> wr = w.unpacked_row(r);
        for (int64_t i = 0; i < m; ++i) {
            const float amax = amax_of_row(i);
            double acc = 0.0;
            for (int64_t c = 0; c < cols; ++c) {
                const float t = x[static_cast<size_t>(i * cols + c)] * (127.0f / amax);
                const float q = std::nearbyint(std::min(127.0f, std::max(-127.0f, t)));
                acc += static_cast<double>(wr[static_cast<size_t>(c)]) * q;
            }
            y[static_cast<size_t>(i * rows + r)] = acc * (amax / 127.0f);
        }
    }
    return y;
}

std::vector<float> reference(const test::IntWeights &w, const IntGeom &g, const std::vector<float> &x, int64_t m) {
    std::vector<float> y(static_cast<size_t>(m * w.matrix.rows));
    reference_kernel(KernelFamily::Int, ComputeDtype::Int8)
        ->integer.matmul(g, w.matrix, x.data(), nullptr, m, w.matrix.cols, y.data(), w.matrix.rows, 0, w.matrix.rows);
    return y;
}

TEST(IntActQuant, ReferenceQuantizesPerTokenAndStatically) {
    const int64_t rows = 9, cols = 200, m = 5;
    const test::IntWeights w(int_format(QuantKind::Int8, -1), rows, cols, 3);
    const std::vector<float> x = outlier_inputs(m, cols, 4);
    IntGeom g = w.g;

    g.act_amax = kActPerToken;
    const std::vector<double> per_token = direct(w, x, m, [&](int64_t i) {
        float a = 0.0f;
        for (int64_t c = 0; c < cols; ++c) a = std::max(a, std::fabs(x[static_cast<size_t>(i * cols + c)]));
        return a;
    });
    std::vector<float> y = reference(w, g, x, m);
    for (size_t k = 0; k < y.size(); ++k) ASSERT_NEAR(y[k], per_token[k], 1e-4 * (1.0 + std::fabs(per_token[k]))) << k;

    // A static amax below the outliers: they saturate at +-127 steps.
    g.act_amax = 20.0f;
    const std::vector<double> fixed = direct(w, x, m, [](int64_t) { return 20.0f; });
    y = reference(w, g, x, m);
    for (size_t k = 0; k < y.size(); ++k) ASSERT_NEAR(y[k], fixed[k], 1e-4 * (1.0 + std::fabs(fixed[k]))) << k;

    // Per block (the default) is a different quantization of the same x: the modes are not ignored.
    g.act_amax = 0.0f;
    const std::vector<float> per_block = reference(w, g, x, m);
    double diff = 0.0;
    for (size_t k = 0; k < y.size(); ++k) diff += std::fabs(per_block[k] - static_cast<float>(per_token[k]));
    EXPECT_GT(diff, 0.0);
}

TEST(IntActQuant, KernelsMatchTheReference) {
    int compared = 0;
    for (const KernelRow &row : kernel_table()) {
        if (row.family != KernelFamily::Int || row.compute != ComputeDtype::Int8 || row.role != KernelRole::Kernel ||
            !kernel_runs_on_cpu(row))
            continue;
        SCOPED_TRACE(row.name);
        for (const QuantFormat &f : {int_format(QuantKind::Int8, -1), int_format(QuantKind::Int8, 32),
                                     int_format(QuantKind::Int4, 64)})
            for (float amax : {kActPerToken, 7.5f, 1000.0f})
                for (int64_t cols : {31, 200, 1100})
                    for (int64_t m : {1, 6, 70}) {
                        SCOPED_TRACE(quant_format_name(f) + " amax=" + std::to_string(amax) +
                                     " cols=" + std::to_string(cols) + " m=" + std::to_string(m));
                        const int64_t rows = 11;
                        const test::IntWeights w(f, rows, cols, static_cast<uint32_t>(cols + m));
                        IntGeom g = w.g;
                        g.act_amax = amax;
                        const std::vector<float> x = outlier_inputs(m, cols, static_cast<uint32_t>(m));
                        const size_t bytes = static_cast<size_t>(m * prep_row_bytes(g, ComputeDtype::Int8));
                        AlignedBuffer<uint8_t> mine(bytes + 1), ref_bytes(bytes + 1);
                        ASSERT_NE(row.integer.prepare, nullptr);
                        row.integer.prepare(g, x.data(), m, mine.data());
                        int_prepare_ref_int8(g, x.data(), m, ref_bytes.data());
                        ASSERT_EQ(std::memcmp(mine.data(), ref_bytes.data(), bytes), 0) << "prepared bytes differ";
                        std::vector<float> y(static_cast<size_t>(m * rows));
                        row.integer.matmul(g, w.matrix, x.data(), mine.data(), m, cols, y.data(), rows, 0, rows);
                        const std::vector<float> ref = reference(w, g, x, m);
                        // Float accumulation in the kernel: relative to sum |w x|, as test_int_kernels.
                        for (int64_t r = 0; r < rows; ++r) {
                            const std::vector<float> wr = w.unpacked_row(r);
                            for (int64_t i = 0; i < m; ++i) {
                                double mag = 0.0;
                                for (int64_t c = 0; c < cols; ++c)
                                    mag += std::fabs(static_cast<double>(wr[static_cast<size_t>(c)]) *
                                                     x[static_cast<size_t>(i * cols + c)]);
                                const size_t k = static_cast<size_t>(i * rows + r);
                                ASSERT_NEAR(y[k], ref[k], 1e-5 * mag + 1e-6) << "i=" << i << " r=" << r;
                            }
                        }
                        ++compared;
                    }
    }
    if (compared == 0) GTEST_SKIP() << "no int8-compute kernel runs on this CPU";
}

}  // namespace
}  // namespace llmrt
