// Shared helpers for the int8/int4 weight type tests: formats, packed random matrices.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/aligned_buffer.h"
#include "kernels/int_quant.h"
#include "kernels/weight_types.h"

namespace llmrt::test {

// int8/int4 x sym/asym x g16/g32/g64/g128/row x fp32/bf16/fp16 scales.
inline std::vector<QuantFormat> all_int_formats() {
    std::vector<QuantFormat> out;
    for (QuantKind kind : {QuantKind::Int8, QuantKind::Int4})
        for (bool asym : {false, true})
            for (int32_t group : {16, 32, 64, 128, -1})
                for (ScaleDtype scale : {ScaleDtype::F32, ScaleDtype::BF16, ScaleDtype::F16}) {
                    QuantFormat f;
                    f.kind = kind;
                    f.asym = asym;
                    f.group_size = group;
                    f.scale = scale;
                    out.push_back(f);
                }
    return out;
}

inline std::vector<float> gaussian_floats(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> v(n);
    for (auto &f : v) f = dist(rng);
    return v;
}

// A random Gaussian matrix packed (RTN) into `format`, 64-byte aligned like the loader's.
struct IntWeights {
    const WeightType *type;
    IntGeom g;
    std::vector<float> source;  // the f32 matrix that was packed
    AlignedBuffer<uint8_t> storage;
    Matrix matrix;

    IntWeights(const QuantFormat &format, int64_t rows, int64_t cols, uint32_t seed)
        : type(&weight_type_for(format, ComputeDtype::F32)),
          g(int_geom(format, cols)),
          source(gaussian_floats(static_cast<size_t>(rows * cols), seed)),
          storage(static_cast<size_t>(rows * g.row_bytes) + 1) {
        for (int64_t r = 0; r < rows; ++r)
            type->pack_row(source.data() + r * cols, cols, storage.data() + r * g.row_bytes);
        matrix.type = type;
        matrix.rows = rows;
        matrix.cols = cols;
        matrix.data = storage.data();
    }
    std::vector<float> unpacked_row(int64_t r) const {
        std::vector<float> out(static_cast<size_t>(matrix.cols));
        type->unpack_row(matrix.row(r), matrix.cols, out.data());
        return out;
    }
};

}  // namespace llmrt::test
