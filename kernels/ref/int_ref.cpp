// Scalar reference matmul for the int8/int4 weight types: each (x row, W row) dot product in
// double over the dequantized weights and x as the compute type sees it. Slow and obvious on
// purpose; the SIMD kernels are tested against it, and it is the kernel when LLMRT_ISA=scalar.
#include <algorithm>
#include <cmath>

#include "kernels/int_quant.h"

namespace llmrt {
namespace {

double dot_ref(const IntGeom &g, ComputeDtype compute, const uint8_t *row, const float *x) {
    uint8_t codes[kMaxIntGroup];
    double total = 0.0;
    const float row_amax = compute == ComputeDtype::Int8 && x_per_row(g) ? x_amax(x, g.cols) : 0.0f;
    for (int64_t b = 0; b < g.nblocks; ++b) {
        const BlockParams p = block_params(g, row, b);
        get_block_codes(g, row, b, codes);
        const float *xb = x + b * g.block;
        const int64_t len = g.block_len(b);
        if (compute == ComputeDtype::Int8) {
            // x quantized exactly as prepare() does it (per block, per row or static: g.act_amax).
            const float amax = x_quant_amax(g, x_amax(xb, len), row_amax);
            const bool finite = x_block_finite(amax);
            const float inv = x_block_inv(amax);
            double acc = 0.0;
            for (int64_t k = 0; k < len; ++k)
                acc += static_cast<double>(code_value(g, codes[k], p)) * x_quantize(finite ? xb[k] : 0.0f, inv);
            total += static_cast<double>(x_block_dx(amax)) * acc;
        } else {
            for (int64_t k = 0; k < len; ++k) {
                const float xv = compute == ComputeDtype::BF16 ? round_to_bf16(xb[k]) : xb[k];
                total += static_cast<double>(code_value(g, codes[k], p)) * xv;
            }
        }
    }
    return total;
}

void matmul_ref(ComputeDtype compute, const IntGeom &g, const Matrix &w, const float *x, int64_t m, int64_t ldx,
                float *y, int64_t ldy, int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
        for (int64_t i = 0; i < m; ++i)
            y[i * ldy + r] = static_cast<float>(dot_ref(g, compute, w.row(r), x + i * ldx));
}

}  // namespace

void int_matmul_ref_f32(const IntGeom &g, const Matrix &w, const float *x, const uint8_t *, int64_t m, int64_t ldx,
                        float *y, int64_t ldy, int64_t r0, int64_t r1) {
    matmul_ref(ComputeDtype::F32, g, w, x, m, ldx, y, ldy, r0, r1);
}

void int_matmul_ref_bf16(const IntGeom &g, const Matrix &w, const float *x, const uint8_t *, int64_t m, int64_t ldx,
                         float *y, int64_t ldy, int64_t r0, int64_t r1) {
    matmul_ref(ComputeDtype::BF16, g, w, x, m, ldx, y, ldy, r0, r1);
}

void int_matmul_ref_int8(const IntGeom &g, const Matrix &w, const float *x, const uint8_t *, int64_t m, int64_t ldx,
                         float *y, int64_t ldy, int64_t r0, int64_t r1) {
    matmul_ref(ComputeDtype::Int8, g, w, x, m, ldx, y, ldy, r0, r1);
}

}  // namespace llmrt
