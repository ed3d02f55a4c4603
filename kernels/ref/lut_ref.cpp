// Scalar nf4/fp4/fp8 matmul: the accuracy reference for the SIMD kernels, and x preparation.
#include <algorithm>
#include <cstring>

#include "kernels/lut_kernels.h"

namespace llmrt {
namespace {

// Columns decoded per step and x rows per pass over a W row: bounded stack use whatever the
// shape, and each W row is decoded once per kRowsPerPass x rows.
constexpr int64_t kSpan = 256;
constexpr int64_t kRowsPerPass = 64;

// round_bf16 selects the BF16 compute semantics (lut_kernels.h).
void reference_rows(const LutLayout &l, const Matrix &w, const float *x, int64_t m, int64_t ldx, float *y,
                    int64_t ldy, int64_t r0, int64_t r1, bool round_bf16) {
    float wv[kSpan];
    double acc[kRowsPerPass];
    for (int64_t r = r0; r < r1; ++r) {
        const uint8_t *row = w.data + static_cast<size_t>(r) * l.row_bytes;
        for (int64_t i0 = 0; i0 < m; i0 += kRowsPerPass) {
            const int64_t mi = std::min(kRowsPerPass, m - i0);
            std::fill(acc, acc + mi, 0.0);
            for (int64_t c0 = 0; c0 < l.cols; c0 += kSpan) {
                const int64_t n = std::min(kSpan, l.cols - c0);
                lut_unpack_range(l, row, c0, n, wv);
                if (round_bf16)
                    for (int64_t c = 0; c < n; ++c) wv[c] = lut_bf16_to_f32(lut_bf16_round(wv[c]));
                for (int64_t i = 0; i < mi; ++i) {
                    const float *xi = x + (i0 + i) * ldx + c0;
                    double sum = 0.0;
                    for (int64_t c = 0; c < n; ++c) {
                        const float a = round_bf16 ? lut_bf16_to_f32(lut_bf16_round(xi[c])) : xi[c];
                        sum += static_cast<double>(a) * wv[c];
                    }
                    acc[i] += sum;
                }
            }
            for (int64_t i = 0; i < mi; ++i) y[(i0 + i) * ldy + r] = static_cast<float>(acc[i]);
        }
    }
}

}  // namespace

size_t lut_f32_prepared_bytes(const LutLayout &l, int64_t m) {
    if (l.cols == l.padded_cols) return 0;
    return static_cast<size_t>(m * l.padded_cols) * sizeof(float);
}

void lut_f32_prepare(const LutLayout &l, const float *x, int64_t m, uint8_t *prepared) {
    float *out = reinterpret_cast<float *>(prepared);
    for (int64_t i = 0; i < m; ++i) {
        float *o = out + i * l.padded_cols;
        std::copy(x + i * l.cols, x + (i + 1) * l.cols, o);
        std::fill(o + l.cols, o + l.padded_cols, 0.0f);
    }
}

size_t lut_bf16_prepared_bytes(const LutLayout &l, int64_t m) {
    return static_cast<size_t>(m * l.padded_cols) * sizeof(uint16_t);
}

void lut_bf16_prepare_scalar(const LutLayout &l, const float *x, int64_t m, uint8_t *prepared) {
    uint16_t *out = reinterpret_cast<uint16_t *>(prepared);
    const bool swap_middle = lut_is_4bit(l.kind);
    for (int64_t i = 0; i < m; ++i) {
        uint16_t *o = out + i * l.padded_cols;
        std::fill(o, o + l.padded_cols, uint16_t{0});
        for (int64_t c = 0; c < l.cols; ++c) {
            const int64_t chunk = (c % 64) / 16;
            const int64_t at = swap_middle && (chunk == 1 || chunk == 2) ? c + (chunk == 1 ? 16 : -16) : c;
            o[at] = lut_bf16_round(x[i * l.cols + c]);
        }
    }
}

void lut_f32_matmul_rows_scalar(const LutLayout &l, const Matrix &w, const float *x, const uint8_t *, int64_t m,
                                int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    reference_rows(l, w, x, m, ldx, y, ldy, r0, r1, false);
}

void lut_bf16_matmul_rows_scalar(const LutLayout &l, const Matrix &w, const float *x, const uint8_t *, int64_t m,
                                 int64_t ldx, float *y, int64_t ldy, int64_t r0, int64_t r1) {
    reference_rows(l, w, x, m, ldx, y, ldy, r0, r1, true);
}

}  // namespace llmrt
