// Shared helpers for the kernel tests: random data and the tolerance rule.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "core/aligned_buffer.h"
#include "kernels/cpu_features.h"
#include "kernels/kernel_table.h"
#include "kernels/matrix.h"

namespace llmrt {

// gtest prints a failing parameter by its row name (found by argument-dependent lookup).
inline void PrintTo(const KernelRow &row, std::ostream *os) { *os << row.name; }

}  // namespace llmrt

namespace llmrt::test {

// The kernel table's rows of one family: the kernel tests' parameters, so a kernel is tested by
// being registered.
inline std::vector<KernelRow> kernel_rows(KernelFamily family) {
    std::vector<KernelRow> rows;
    for (const KernelRow &row : kernel_table())
        if (row.family == family) rows.push_back(row);
    return rows;
}

inline std::string kernel_row_name(const ::testing::TestParamInfo<KernelRow> &info) { return info.param.name; }

inline std::vector<float> random_floats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (auto &f : v) f = dist(rng);
    return v;
}

// An f32 weight matrix in 64-byte aligned memory, as the loader provides it.
struct F32Weights {
    AlignedBuffer<float> storage;
    Matrix matrix;

    F32Weights(int64_t rows, int64_t cols, uint32_t seed)
        : storage(static_cast<size_t>(rows * cols) + 1) {
        const std::vector<float> v = random_floats(static_cast<size_t>(rows * cols), seed);
        std::copy(v.begin(), v.end(), storage.data());
        matrix.type = &weight_type_f32();
        matrix.rows = rows;
        matrix.cols = cols;
        matrix.data = reinterpret_cast<const uint8_t *>(storage.data());
    }
    const float *row(int64_t r) const { return storage.data() + r * matrix.cols; }
};

// Float accumulation in any order is within a few ulps of the sum of magnitudes.
inline double tolerance(const float *x, const float *w, int64_t n) {
    double mag = 0.0;
    for (int64_t i = 0; i < n; ++i) mag += std::fabs(static_cast<double>(x[i]) * w[i]);
    return 1e-5 * mag + 1e-30;
}

inline bool isa_supported(Isa isa) { return isa <= best_supported_isa(); }

}  // namespace llmrt::test
