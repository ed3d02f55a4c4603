// Shared helpers for the nf4/fp4/fp8 tests: formats, random packed matrices, expected products.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/aligned_buffer.h"
#include "kernels/lut_quant.h"
#include "kernels/matrix.h"

namespace llmrt::test {

inline const QuantKind kLutKinds[] = {QuantKind::NF4, QuantKind::FP4, QuantKind::FP8_E4M3, QuantKind::FP8_E5M2};
inline const int32_t kLutGroups[] = {32, 64, 128, -1};
inline const ScaleDtype kLutScales[] = {ScaleDtype::F32, ScaleDtype::BF16, ScaleDtype::F16};

inline QuantFormat lut_format(QuantKind kind, int32_t group, ScaleDtype scale) {
    QuantFormat f;
    f.kind = kind;
    f.group_size = group;
    f.scale = scale;
    return f;
}

inline std::vector<QuantFormat> all_lut_formats() {
    std::vector<QuantFormat> v;
    for (QuantKind k : kLutKinds)
        for (int32_t g : kLutGroups)
            for (ScaleDtype s : kLutScales) v.push_back(lut_format(k, g, s));
    return v;
}

// Gaussian values, with a different spread per row so groups get different scales.
inline std::vector<float> gaussian_rows(int64_t rows, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::uniform_real_distribution<float> spread(0.01f, 2.0f);
    std::vector<float> v(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r) {
        const float s = spread(rng);
        for (int64_t c = 0; c < cols; ++c) v[static_cast<size_t>(r * cols + c)] = s * dist(rng);
    }
    return v;
}

// A packed matrix in 64-byte aligned memory, as the loader provides it, and its unpacked values.
struct LutWeights {
    LutLayout layout;
    AlignedBuffer<uint8_t> storage;
    Matrix matrix;
    std::vector<float> values;  // rows x cols, what unpacking gives

    LutWeights(const QuantFormat &format, const WeightType *type, int64_t rows, int64_t cols, uint32_t seed)
        : layout(lut_layout(format, cols)), storage(static_cast<size_t>(rows) * layout.row_bytes + 1) {
        const std::vector<float> src = gaussian_rows(rows, cols, seed);
        values.resize(src.size());
        for (int64_t r = 0; r < rows; ++r) {
            uint8_t *row = storage.data() + static_cast<size_t>(r) * layout.row_bytes;
            lut_pack_row(layout, src.data() + r * cols, row);
            lut_unpack_range(layout, row, 0, cols, values.data() + r * cols);
        }
        matrix.type = type;
        matrix.rows = rows;
        matrix.cols = cols;
        matrix.data = storage.data();
    }
    const float *row(int64_t r) const { return values.data() + r * matrix.cols; }
};

inline float round_bf16(float f) { return lut_bf16_to_f32(lut_bf16_round(f)); }

// dot(x, w) in double, and the sum of |products| for the tolerance; bf16 rounds both first.
inline void expected_dot(const float *x, const float *w, int64_t n, bool bf16, double *dot, double *mag) {
    *dot = 0.0;
    *mag = 0.0;
    for (int64_t c = 0; c < n; ++c) {
        const double a = bf16 ? round_bf16(x[c]) : x[c];
        const double b = bf16 ? round_bf16(w[c]) : w[c];
        *dot += a * b;
        *mag += std::fabs(a * b);
    }
}

}  // namespace llmrt::test
