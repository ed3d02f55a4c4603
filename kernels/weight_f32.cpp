// The F32 weight type: rows are plain little-endian floats.
#include <cstring>

#include "kernels/cpu_features.h"
#include "kernels/f32_kernels.h"
#include "kernels/matrix.h"

namespace llmrt {
namespace {

size_t f32_row_bytes(int64_t cols) { return static_cast<size_t>(cols) * sizeof(float); }

void f32_unpack_row(const uint8_t *row, int64_t cols, float *out) {
    std::memcpy(out, row, f32_row_bytes(cols));
}

decltype(WeightType::matmul_rows) f32_best_matmul_rows() {
    switch (selected_isa()) {
        case Isa::Avx512: return &f32_matmul_rows_avx512;
        case Isa::Avx2: return &f32_matmul_rows_avx2;
        default: return &f32_matmul_rows_scalar;
    }
}

}  // namespace

const WeightType &weight_type_f32() {
    static const WeightType type{"f32", &f32_row_bytes, &f32_unpack_row, f32_best_matmul_rows()};
    return type;
}

}  // namespace llmrt
