// The nf4 / fp4 / fp8_e4m3 / fp8_e5m2 weight types: codes looked up in a table of values, one
// scale per group (layout and packing: lut_quant.h; kernels: lut_kernels.h).
#include "core/error.h"
#include "kernels/kernel_table.h"
#include "kernels/lut_kernels.h"
#include "kernels/quant_families.h"

namespace llmrt {
namespace {

class LutType final : public WeightType {
public:
    // kernel: a row of the lut family (kernel_table.h).
    LutType(const QuantFormat &format, const KernelRow &kernel)
        : format_(format), name_(quant_format_name(format)), compute_(kernel.compute), kernel_(kernel.lut) {}

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
    int64_t column_step(int64_t cols) const override { return lut_layout(format_, cols).group; }
    void slice_row(const uint8_t *row, int64_t cols, int64_t c0, int64_t c1, uint8_t *dst) const override {
        lut_slice_row(lut_layout(format_, cols), row, c0, lut_layout(format_, c1 - c0), dst);
    }

    size_t prepared_bytes(int64_t m, int64_t cols) const override {
        return kernel_.prepared_bytes ? kernel_.prepared_bytes(lut_layout(format_, cols), m) : 0;
    }
    void prepare(const Matrix &w, const float *x, int64_t m, uint8_t *prepared) const override {
        if (prepared_bytes(m, w.cols) > 0) kernel_.prepare(lut_layout(format_, w.cols), x, m, prepared);
    }
    void matmul_rows(const Matrix &w, const float *x, const uint8_t *prepared, int64_t m, int64_t ldx, float *y,
                     int64_t ldy, int64_t r0, int64_t r1) const override {
        kernel_.matmul(lut_layout(format_, w.cols), w, x, prepared, m, ldx, y, ldy, r0, r1);
    }

private:
    QuantFormat format_;
    std::string name_;
    ComputeDtype compute_;
    LutKernelFns kernel_;
};

}  // namespace

std::unique_ptr<WeightType> make_lut_weight_type(const QuantFormat &format, ComputeDtype compute) {
    if (!lut_is_family(format.kind))
        fail(Status::InvalidArgument, quant_format_name(format) + " is not an nf4/fp4/fp8 weight type");
    const std::string invalid = validate_quant_format(format);
    if (!invalid.empty()) fail(Status::InvalidArgument, invalid);
    return std::make_unique<LutType>(format,
                                     best_kernel(KernelFamily::Lut, resolve_compute(KernelFamily::Lut, compute)));
}

}  // namespace llmrt
