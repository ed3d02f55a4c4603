#include "formats/tensor.h"

#include <cmath>
#include <cstring>
#include <string>

#include "core/error.h"
#include "formats/checked_math.h"
#include "formats/gguf_blocks.h"

namespace llmrt {
namespace {

struct DTypeInfo {
    const char *name;
    int64_t block_size;  // elements per block
    size_t block_bytes;  // bytes per block
};

DTypeInfo info(DType t) {
    switch (t) {
        case DType::F32: return {"F32", 1, 4};
        case DType::F16: return {"F16", 1, 2};
        case DType::BF16: return {"BF16", 1, 2};
        case DType::I32: return {"I32", 1, 4};
        // block_bytes is never used: checked_dtype_bytes refuses Packed before it gets there.
        case DType::Packed: return {"packed", 1, 0};
        default: break;
    }
    const GgufBlockLayout *l = gguf_block_layout(t);
    if (!l) fail(Status::Internal, "unknown DType " + std::to_string(static_cast<int>(t)));
    return {l->name, l->values, l->bytes};
}

uint16_t load_u16(const uint8_t *p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

}  // namespace

const char *dtype_name(DType t) { return info(t).name; }

int64_t dtype_block_size(DType t) { return info(t).block_size; }

bool checked_dtype_bytes(DType t, int64_t n, size_t &bytes) {
    if (t == DType::Packed) return false;
    const DTypeInfo i = info(t);
    if (n < 0 || n % i.block_size != 0) return false;
    return checked_mul(static_cast<size_t>(n / i.block_size), i.block_bytes, bytes);
}

size_t dtype_bytes(DType t, int64_t n) {
    if (t == DType::Packed) {
        fail(Status::InvalidArgument,
             "the size of a packed tensor is known only to its weight type (use TensorView::nbytes)");
    }
    size_t bytes = 0;
    if (!checked_dtype_bytes(t, n, bytes)) {
        fail(Status::InvalidArgument, "cannot size " + std::to_string(n) + " elements of " +
                                             dtype_name(t) + " (block size " +
                                             std::to_string(dtype_block_size(t)) + ")");
    }
    return bytes;
}

bool checked_element_count(const std::vector<int64_t> &shape, int64_t &count) {
    int64_t n = 1;
    for (int64_t d : shape) {
        if (d < 0 || !checked_mul(n, d, n)) return false;
    }
    count = n;
    return true;
}

std::string shape_to_string(const std::vector<int64_t> &shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

int64_t TensorView::n_elements() const {
    int64_t n = 0;
    if (!checked_element_count(shape, n)) {
        fail(Status::InvalidArgument, "tensor '" + name + "' has an invalid shape");
    }
    return n;
}

void tensor_to_f32(const TensorView &t, float *dst) {
    if (t.dtype == DType::Packed) {
        fail(Status::Unsupported,
             "packed tensor '" + t.name + "' (" + t.packed_type + ") must be read through its weight type");
    }
    require(t.dtype != DType::I32, Status::Format, "tensor '" + t.name + "' holds integers (I32), not floats");
    const int64_t n = t.n_elements();
    size_t expected = 0;
    require(checked_dtype_bytes(t.dtype, n, expected) && expected == t.nbytes, Status::InvalidArgument,
            "tensor '" + t.name + "': " + std::to_string(t.nbytes) + " bytes do not hold " +
                std::to_string(n) + " elements of " + dtype_name(t.dtype));
    const uint8_t *src = t.data;
    switch (t.dtype) {
        case DType::F32:
            if (n > 0) std::memcpy(dst, src, t.nbytes);
            return;
        case DType::F16:
            for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(load_u16(src + 2 * i));
            return;
        case DType::BF16:
            for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(load_u16(src + 2 * i));
            return;
        case DType::Packed:
        case DType::I32: return;  // refused above
        default: {
            const GgufBlockLayout &l = *gguf_block_layout(t.dtype);
            dequantize_gguf_blocks(l, src, n / l.values, dst);
            return;
        }
    }
}


}  // namespace llmrt
