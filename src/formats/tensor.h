// A tensor as stored in a file: name, element type, shape and a pointer into mapped memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/float16.h"

namespace llmrt {

// Storage types a file may hold. Block types are llama.cpp's (formats/gguf_blocks.h: 32 or 256
// values per block). Packed is a weight in a kernels-layer weight type (TensorView::packed_type names it); formats
// never interprets its bytes, so only TensorView::nbytes says how large it is. I32 holds integers
// (GPTQ/AWQ's packed words, g_idx): formats/hf_quantized.h reads them, tensor_to_f32 refuses them.
enum class DType { F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, Packed, I32 };

const char *dtype_name(DType t);
// Bytes needed for n elements (n must be a multiple of the block size for block types).
// Throws Error(Status::InvalidArgument) for Packed: only its weight type knows its size.
size_t dtype_bytes(DType t, int64_t n);
// 1 for Packed: formats puts no constraint on its element count (the weight type handles
// ragged groups itself).
int64_t dtype_block_size(DType t);

struct TensorView {
    std::string name;
    DType dtype = DType::F32;
    // Outermost dimension first, as PyTorch/safetensors write it: a Linear weight is
    // {out_features, in_features}. GGUF readers reverse GGUF's innermost-first order.
    std::vector<int64_t> shape;
    const uint8_t *data = nullptr;  // inside a mapping owned by the Checkpoint; validated in range
    size_t nbytes = 0;              // authoritative for Packed, else dtype_bytes(dtype, n_elements())
    // Packed only: the weight type as the kernels layer spells it ("int4_g32_sym_fp32"). Opaque here.
    std::string packed_type;

    int64_t n_elements() const;
};

// Converts any non-block dtype to float32 (dst holds n_elements floats).
// Block types are dequantized as llama.cpp does.
// Throws Error(Status::InvalidArgument) when nbytes does not match dtype and shape, and
// Error(Status::Unsupported) for Packed, which only its weight type can unpack.
void tensor_to_f32(const TensorView &t, float *dst);

// For sizes read from untrusted files: false (instead of throwing or wrapping) when n is
// negative, not a multiple of the block size, or the byte count overflows size_t. Always false
// for Packed.
bool checked_dtype_bytes(DType t, int64_t n, size_t &bytes);
// Product of the dimensions; false when one is negative or the product overflows int64.
// An empty shape is a scalar (1 element).
bool checked_element_count(const std::vector<int64_t> &shape, int64_t &count);

// "[512, 64]", for messages.
std::string shape_to_string(const std::vector<int64_t> &shape);

// IEEE half and bfloat16 <-> float. Exact for subnormals, infinities and NaN; the float -> half
// and float -> bfloat16 directions round to nearest even.

}  // namespace llmrt
