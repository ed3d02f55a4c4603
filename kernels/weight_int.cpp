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
    int64_t column_step(int64_t cols) const override { return geom(cols).block; }
    void slice_row(const uint8_t *row, int64_t cols, int64_t c0, int64_t c1, uint8_t *dst) const override {
        int_slice_row(geom(cols), row, c0, geom(c1 - c0), dst);
    }

    size_t prepared_bytes(int64_t m, int64_t cols) const override {
        if (!kernels_.prepare) return 0;
        return static_cast<size_t>(m * prep_row_bytes(geom(cols), compute_)) + kPreparedAlign;
    }
    void prepare(const Matrix &w, const float *x, int64_t m, uint8_t *prepared) const override {
        if (kernels_.prepare) kernels_.prepare(geom(w), x, m, align_prepared(prepared));
    }
    void matmul_rows(const Matrix &w, const float *x, const uint8_t *prepared, int64_t m, int64_t ldx, float *y,
                     int64_t ldy, int64_t r0, int64_t r1) const override {
        kernels_.matmul(geom(w), w, x, prepared ? align_prepared(prepared) : nullptr, m, ldx, y, ldy, r0, r1);
    }

private:
    IntGeom geom(int64_t cols) const { return int_geom(format_, cols); }
    // With the matrix's activation quantization (Matrix::act_amax), which only int8 compute reads.
    IntGeom geom(const Matrix &w) const {
        IntGeom g = geom(w.cols);
        g.act_amax = w.act_amax;
        return g;
    }

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

// A file scale (fp16) as our format stores it: the same bits when the format keeps fp16 scales,
// except inf/NaN, which store_scale saturates as it does for every other source.
void put_gguf_param(const IntGeom &g, uint8_t *params, int64_t j, const uint8_t *f16) {
    const uint16_t bits = read_u16(f16);
    if (g.scale == ScaleDtype::F16 && (bits & 0x7c00u) != 0x7c00u)
        std::memcpy(params + j * 2, f16, 2);
    else
        store_scale(params, j, g.scale, f16_to_f32(bits));
}

// One row of GGUF blocks into our superblock layout (int_quant.h), written straight into place:
// loading a Q8_0 file is mostly this loop, so it avoids per-block calls and staging.
void repack_gguf_row(GgufBlockType type, const IntGeom &g, const uint8_t *in, uint8_t *out) {
    const size_t bb = gguf_block_bytes(type);
    const size_t qs_at = type == GgufBlockType::Q4_1 ? 4 : 2;
    for (int64_t s = 0; s < g.nsb; ++s) {
        const SbLayout l = sb_layout(g, s);
        const uint8_t *sb_in = in + static_cast<size_t>(s * kSbBlocks) * bb;
        for (int64_t j = 0; j < l.n; ++j) {
            const uint8_t *blk = sb_in + static_cast<size_t>(j) * bb;
            put_gguf_param(g, out + l.scales, j, blk);
            if (type == GgufBlockType::Q4_1) put_gguf_param(g, out + l.mins, j, blk + 2);
            const uint8_t *qs = blk + qs_at;
            uint8_t *p = out + l.codes + j * g.block_qbytes;
            for (int64_t q = 0; q < g.quads; ++q, p += l.qrow_bytes) {
                if (type == GgufBlockType::Q8_0) {
                    // Q8_0's int8 q is our unsigned code - 128.
                    uint32_t v;
                    std::memcpy(&v, qs + 4 * q, 4);
                    v ^= 0x80808080u;
                    std::memcpy(p, &v, 4);
                } else {
                    // GGUF byte k holds value k in its low nibble and value k + 16 in its high nibble;
                    // ours holds codes 4q..4q+3 as two bytes of two nibbles each.
                    const uint8_t *b = q < 4 ? qs + 4 * q : qs + 4 * q - 16;
                    if (q < 4) {
                        p[0] = static_cast<uint8_t>((b[0] & 0x0f) | (b[1] << 4));
                        p[1] = static_cast<uint8_t>((b[2] & 0x0f) | (b[3] << 4));
                    } else {
                        p[0] = static_cast<uint8_t>((b[0] >> 4) | (b[1] & 0xf0));
                        p[1] = static_cast<uint8_t>((b[2] >> 4) | (b[3] & 0xf0));
                    }
                }
            }
        }
    }
}

// The inverse of repack_gguf_row: our superblock layout back into GGUF blocks.
void unpack_gguf_row(GgufBlockType type, const IntGeom &g, const uint8_t *in, uint8_t *out) {
    const size_t bb = gguf_block_bytes(type);
    const size_t qs_at = type == GgufBlockType::Q4_1 ? 4 : 2;
    uint8_t codes[kGgufBlock];
    for (int64_t b = 0; b < g.nblocks; ++b) {
        uint8_t *blk = out + static_cast<size_t>(b) * bb;
        const SbLayout l = sb_layout(g, b / kSbBlocks);
        const int64_t j = b % kSbBlocks;
        // The fp16 scale (and min) bits as stored: no rounding on the way out either.
        std::memcpy(blk, in + l.scales + j * 2, 2);
        if (type == GgufBlockType::Q4_1) std::memcpy(blk + 2, in + l.mins + j * 2, 2);
        get_block_codes(g, in, b, codes);
        uint8_t *qs = blk + qs_at;
        if (type == GgufBlockType::Q8_0) {
            for (int k = 0; k < kGgufBlock; ++k) qs[k] = static_cast<uint8_t>(codes[k] ^ 0x80u);
        } else {
            // Byte k: value k in the low nibble, value k + 16 in the high one.
            for (int k = 0; k < kGgufBlock / 2; ++k) qs[k] = static_cast<uint8_t>(codes[k] | (codes[k + 16] << 4));
        }
    }
}

}  // namespace

std::unique_ptr<WeightType> make_int_weight_type(const QuantFormat &format, ComputeDtype compute) {
    require(format.kind == QuantKind::Int8 || format.kind == QuantKind::Int4, Status::InvalidArgument,
            quant_format_name(format) + " is not an integer weight type");
    const std::string problem = validate_quant_format(format);
    require(problem.empty(), Status::InvalidArgument, problem);
    require(format.group_size <= kMaxIntGroup, Status::Unsupported,
            quant_format_name(format) + ": groups larger than " + std::to_string(kMaxIntGroup) +
                " are not supported (use group size -1 for one scale per row)");
    return std::make_unique<IntWeightType>(format,
                                           best_kernel(KernelFamily::Int, resolve_compute(KernelFamily::Int, compute)));
}

void pack_int_codes_row(const WeightType &type, int64_t cols, const uint8_t *codes, const float *scales,
                        const float *mins, uint8_t *dst) {
    require(type.format() != nullptr &&
                (type.format()->kind == QuantKind::Int8 || type.format()->kind == QuantKind::Int4), Status::InvalidArgument,
            "integer codes cannot be packed into weight type " + type.name());
    const IntGeom g = int_geom(*type.format(), cols);
    // A one-scale-per-row type takes one scale (scales[0]): right for a caller that quantized the
    // row as one group (group -1, or a group covering the row), wrong for codes in smaller groups.
    require(!g.row_scale || type.format()->group_size < 0 || type.format()->group_size >= cols,
            Status::InvalidArgument, "codes in groups cannot be packed into a one-scale-per-row type");
    require(g.row_scale || g.block == type.format()->group_size, Status::Internal, "group and block differ");
    for (int64_t b = 0; b < g.nblocks; ++b) {
        const int64_t p = g.row_scale ? 0 : b;
        put_block_params(g, dst, b, scales[p], g.asym ? mins[p] : 0.0f);
        put_block_codes(g, dst, b, codes + b * g.block);
    }
}

void repack_gguf_rows(GgufBlockType type, const uint8_t *src, int64_t rows, int64_t cols, const WeightType &dst_type,
                      uint8_t *dst) {
    require(dst_type.format() != nullptr && *dst_type.format() == gguf_block_format(type), Status::InvalidArgument,
            "GGUF blocks cannot be repacked into weight type " + dst_type.name());
    require(cols % kGgufBlock == 0, Status::Format,
            "GGUF block rows must have a multiple of 32 values, got " + std::to_string(cols));
    const IntGeom g = int_geom(*dst_type.format(), cols);
    const size_t src_row = static_cast<size_t>(cols / kGgufBlock) * gguf_block_bytes(type);
    for (int64_t r = 0; r < rows; ++r)
        repack_gguf_row(type, g, src + static_cast<size_t>(r) * src_row, dst + r * g.row_bytes);
}

void unpack_int_codes_row(const WeightType &type, int64_t cols, const uint8_t *row, uint8_t *codes, float *scales,
                          float *mins) {
    require(type.format() != nullptr &&
                (type.format()->kind == QuantKind::Int8 || type.format()->kind == QuantKind::Int4), Status::InvalidArgument,
            "weight type " + type.name() + " holds no integer codes");
    const IntGeom g = int_geom(*type.format(), cols);
    uint8_t block[kMaxIntGroup];
    for (int64_t b = 0; b < g.nblocks; ++b) {
        const BlockParams p = block_params(g, row, b);
        if (!g.row_scale || b == 0) {
            const int64_t k = g.row_scale ? 0 : b;
            scales[k] = p.scale;
            if (g.asym) mins[k] = p.min;
        }
        get_block_codes(g, row, b, block);
        std::memcpy(codes + b * g.block, block, static_cast<size_t>(g.block_len(b)));
    }
}

void unpack_gguf_rows(GgufBlockType type, const WeightType &src_type, const uint8_t *src, int64_t rows, int64_t cols,
                      uint8_t *dst) {
    require(src_type.format() != nullptr && *src_type.format() == gguf_block_format(type), Status::InvalidArgument,
            "weight type " + src_type.name() + " is not a GGUF block type");
    require(cols % kGgufBlock == 0, Status::Unsupported,
            "GGUF block rows must have a multiple of 32 values, got " + std::to_string(cols));
    const IntGeom g = int_geom(*src_type.format(), cols);
    const size_t dst_row = static_cast<size_t>(cols / kGgufBlock) * gguf_block_bytes(type);
    for (int64_t r = 0; r < rows; ++r)
        unpack_gguf_row(type, g, src + r * g.row_bytes, dst + static_cast<size_t>(r) * dst_row);
}

}  // namespace llmrt
