// The nf4 / fp4 / fp8_e4m3 / fp8_e5m2 weight types: codes looked up in a table of values, one
// scale per group (layout and packing: lut_quant.h; kernels: lut_kernels.h).
#include "core/error.h"
#include "kernels/cpu_features.h"
#include "kernels/lut_kernels.h"
#include "kernels/quant_families.h"

namespace llmrt {
namespace {

bool has_bf16_kernels() { return selected_isa() == Isa::Avx512 && cpu_features().avx512bf16; }

// BF16 needs AVX512-BF16. Int8 has no kernels in this family (its codes are not integers): BF16
// does the same job (2 products per lane) where available. Everything else runs in fp32.
ComputeDtype choose_compute(ComputeDtype wanted) {
    if ((wanted == ComputeDtype::BF16 || wanted == ComputeDtype::Int8) && has_bf16_kernels()) return ComputeDtype::BF16;
    return ComputeDtype::F32;
}

LutMatmulFn choose_kernel(ComputeDtype compute) {
    if (compute == ComputeDtype::BF16) return &lut_bf16_matmul_rows_avx512bf16;
    switch (selected_isa()) {
        case Isa::Avx512: return &lut_f32_matmul_rows_avx512;
        case Isa::Avx2: return &lut_f32_matmul_rows_avx2;
        default: return &lut_f32_matmul_rows_scalar;
    }
}

class LutType final : public WeightType {
public:
    LutType(const QuantFormat &format, ComputeDtype compute)
        : format_(format),
          name_(quant_format_name(format)),
          compute_(choose_compute(compute)),
          kernel_(choose_kernel(compute_)) {}

    const std::string &name() const override { return name_; }
    const QuantFormat *format() const override { return &format_; }
    ComputeDtype compute() const override { return compute_; }

    size_t row_bytes(int64_t cols) const override { return lut_layout(format_, cols).row_bytes; }
    void pack_row(const float *src, int64_t cols, uint8_t *dst) const override {
        lut_pack_row(lut_layout(format_, cols), src, dst);
    }
    void unpack_row(const uint8_t *row, int64_t cols, float *out) const override {
        lut_unpack_range(lut_layout(format_, cols), row, 0, cols, out);
    }

    size_t prepared_bytes(int64_t m, int64_t cols) const override {
        const LutLayout l = lut_layout(format_, cols);
        return compute_ == ComputeDtype::BF16 ? lut_bf16_prepared_bytes(l, m) : lut_f32_prepared_bytes(l, m);
    }
    void prepare(const float *x, int64_t m, int64_t cols, uint8_t *prepared) const override {
        const LutLayout l = lut_layout(format_, cols);
        if (compute_ == ComputeDtype::BF16) {
            lut_bf16_prepare_avx512bf16(l, x, m, prepared);
        } else if (lut_f32_prepared_bytes(l, m) > 0) {
            lut_f32_prepare(l, x, m, prepared);
        }
    }
    void matmul_rows(const Matrix &w, const float *x, const uint8_t *prepared, int64_t m, int64_t ldx, float *y,
                     int64_t ldy, int64_t r0, int64_t r1) const override {
        kernel_(lut_layout(format_, w.cols), w, x, prepared, m, ldx, y, ldy, r0, r1);
    }

private:
    QuantFormat format_;
    std::string name_;
    ComputeDtype compute_;
    LutMatmulFn kernel_;
};

}  // namespace

std::unique_ptr<WeightType> make_lut_weight_type(const QuantFormat &format, ComputeDtype compute) {
    if (!lut_is_family(format.kind))
        fail(LLMRT_ERR_INVALID_ARGUMENT, quant_format_name(format) + " is not an nf4/fp4/fp8 weight type");
    const std::string invalid = validate_quant_format(format);
    if (!invalid.empty()) fail(LLMRT_ERR_INVALID_ARGUMENT, invalid);
    return std::make_unique<LutType>(format, compute);
}

}  // namespace llmrt
