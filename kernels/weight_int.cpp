// The int8/int4 weight types (layout and kernels: int_quant.h), and llama.cpp's Q8_0/Q4_0/Q4_1
// blocks repacked into them.
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.h"
#include "kernels/int_quant.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_families.h"
#include "kernels/weight_types.h"

namespace llmrt {
namespace {

// The kernels load prepared x in 64-byte vectors: keep them on cache-line boundaries whatever
// the caller's buffer alignment (a misaligned buffer splits every load and cost up to 30% in
// prefill, measured). prepared_bytes() leaves room for the adjustment.
constexpr size_t kPreparedAlign = 64;
const uint8_t *align_prepared(const uint8_t *p) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    return p + ((kPreparedAlign - a % kPreparedAlign) % kPreparedAlign);
}
uint8_t *align_prepared(uint8_t *p) { return const_cast<uint8_t *>(align_prepared(static_cast<const uint8_t *>(p))); }

class IntWeightType final : public WeightType {
public:
    // kernel: a row of the int family (kernel_table.h).
    IntWeightType(const QuantFormat &format, const KernelRow &kernel)
        : format_(format), name_(quant_format_name(format)), compute_(kernel.compute), kernels_(kernel.integer) {}

    const std::string &name() const override { return name_; }
    const QuantFormat *format() const override { return &format_; }
    ComputeDtype compute() const override { return compute_; }

    size_t row_bytes(int64_t cols) const override { return static_cast<size_t>(geom(cols).row_bytes); }
    void pack_row(const float *src, int64_t cols, uint8_t *dst) const override {
        int_pack_row(geom(cols), src, dst);
    }
    void unpack_row(const uint8_t *row, int64_t cols, float *out) const override {
        int_unpack_row(geom(cols), row, out);
    }

    size_t prepared_bytes(int64_t m, int64_t cols) const override {
        if (!kernels_.prepare) return 0;
        return static_cast<size_t>(m * prep_row_bytes(geom(cols), compute_)) + kPreparedAlign;
    }
    void prepare(const float *x, int64_t m, int64_t cols, uint8_t *prepared) const override {
        if (kernels_.prepare) kernels_.prepare(geom(cols), x, m, align_prepared(prepared));
    }
    void matmul_rows(const Matrix &w, const float *x, const uint8_t *prepared, int64_t m, int64_t ldx, float *y,
                     int64_t ldy, int64_t r0, int64_t r1) const override {
        kernels_.matmul(geom(w.cols), w, x, prepared ? align_prepared(prepared) : nullptr, m, ldx, y, ldy, r0, r1);
    }

private:
    IntGeom geom(int64_t cols) const { return int_geom(format_, cols); }

    QuantFormat format_;
    std::string name_;
    ComputeDtype compute_;
    IntKernelFns kernels_;
};

// llama.cpp block layouts: 32 values each.
constexpr int64_t kGgufBlock = 32;
size_t gguf_block_bytes(GgufBlockType type) {
    switch (type) {
        case GgufBlockType::Q8_0: return 2 + 32;
        case GgufBlockType::Q4_0: return 2 + 16;
        default: return 2 + 2 + 16;
    }
}

uint16_t read_u16(const uint8_t *p) {
    uint16_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// One block's codes in our convention (unsigned; Q8_0's int8 q is code - 128) and its scale/min.
void decode_gguf_block(GgufBlockType type, const uint8_t *blk, uint8_t *codes, float &scale, float &min) {
    scale = f16_to_f32(read_u16(blk));
    min = 0.0f;
    if (type == GgufBlockType::Q8_0) {
        for (int k = 0; k < 32; ++k) codes[k] = static_cast<uint8_t>(blk[2 + k] ^ 0x80u);
        return;
    }
    const uint8_t *qs = blk + 2;
    if (type == GgufBlockType::Q4_1) {
        min = f16_to_f32(read_u16(blk + 2));
        qs = blk + 4;
    }
    // Byte k holds value k in its low nibble and value k + 16 in its high nibble.
    for (int k = 0; k < 16; ++k) {
        codes[k] = qs[k] & 0x0f;
        codes[k + 16] = qs[k] >> 4;
    }
}

}  // namespace

std::unique_ptr<WeightType> make_int_weight_type(const QuantFormat &format, ComputeDtype compute) {
    require(format.kind == QuantKind::Int8 || format.kind == QuantKind::Int4, LLMRT_ERR_INVALID_ARGUMENT,
            quant_format_name(format) + " is not an integer weight type");
    const std::string problem = validate_quant_format(format);
    require(problem.empty(), LLMRT_ERR_INVALID_ARGUMENT, problem);
    require(format.group_size <= kMaxIntGroup, LLMRT_ERR_UNSUPPORTED,
            quant_format_name(format) + ": groups larger than " + std::to_string(kMaxIntGroup) +
                " are not supported (use group size -1 for one scale per row)");
    return std::make_unique<IntWeightType>(format,
                                           best_kernel(KernelFamily::Int, resolve_compute(KernelFamily::Int, compute)));
}

void repack_gguf_rows(GgufBlockType type, const uint8_t *src, int64_t rows, int64_t cols, const WeightType &dst_type,
                      uint8_t *dst) {
    require(dst_type.format() != nullptr && *dst_type.format() == gguf_block_format(type), LLMRT_ERR_INVALID_ARGUMENT,
            "GGUF blocks cannot be repacked into weight type " + dst_type.name());
    require(cols % kGgufBlock == 0, LLMRT_ERR_FORMAT,
            "GGUF block rows must have a multiple of 32 values, got " + std::to_string(cols));
    const IntGeom g = int_geom(*dst_type.format(), cols);
    const size_t src_row = static_cast<size_t>(cols / kGgufBlock) * gguf_block_bytes(type);
    uint8_t codes[kGgufBlock];
    for (int64_t r = 0; r < rows; ++r) {
        const uint8_t *in = src + static_cast<size_t>(r) * src_row;
        uint8_t *out = dst + r * g.row_bytes;
        std::memset(out, 0, static_cast<size_t>(g.row_bytes));
        // Our blocks are also 32 long (group 32, or 32-blocks of a one-group row when cols == 32).
        for (int64_t b = 0; b < cols / kGgufBlock; ++b, in += gguf_block_bytes(type)) {
            float scale, min;
            decode_gguf_block(type, in, codes, scale, min);
            put_block_params(g, out, b, scale, min);
            put_block_codes(g, out, b, codes);
        }
    }
}

}  // namespace llmrt
