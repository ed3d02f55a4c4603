// The F32 weight type: rows are plain little-endian floats.
#include <cstring>

#include "kernels/kernel_table.h"
#include "kernels/matrix.h"

namespace llmrt {
namespace {

class F32Type final : public WeightType {
public:
    const std::string &name() const override { return name_; }
    ComputeDtype compute() const override { return ComputeDtype::F32; }
    size_t row_bytes(int64_t cols) const override { return static_cast<size_t>(cols) * sizeof(float); }
    void pack_row(const float *src, int64_t cols, uint8_t *dst) const override {
        std::memcpy(dst, src, row_bytes(cols));
    }
    void unpack_row(const uint8_t *row, int64_t cols, float *out) const override {
        std::memcpy(out, row, row_bytes(cols));
    }
    int64_t column_step(int64_t) const override { return 1; }
    void slice_row(const uint8_t *row, int64_t, int64_t c0, int64_t c1, uint8_t *dst) const override {
        std::memcpy(dst, row + row_bytes(c0), row_bytes(c1 - c0));
    }
    void matmul_rows(const Matrix &w, const float *x, const uint8_t *, int64_t m, int64_t ldx, float *y, int64_t ldy,
                     int64_t r0, int64_t r1) const override {
        kernel_(w, x, m, ldx, y, ldy, r0, r1);
    }

private:
    std::string name_ = "f32";
    F32MatmulFn kernel_ = best_kernel(KernelFamily::F32, ComputeDtype::F32).f32.matmul;
};

}  // namespace

const WeightType &weight_type_f32() {
    static const F32Type type;
    return type;
}

}  // namespace llmrt
