// A tensor as stored in a file: name, element type, shape and a pointer into mapped memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace llmrt {

// Storage types a file may hold. Block types (Q8_0, Q4_0, Q4_1) pack 32 values per block.
enum class DType { F32, F16, BF16, Q8_0, Q4_0, Q4_1 };

const char *dtype_name(DType t);
// Bytes needed for n elements (n must be a multiple of the block size for block types).
size_t dtype_bytes(DType t, int64_t n);
int64_t dtype_block_size(DType t);

struct TensorView {
    std::string name;
    DType dtype = DType::F32;
    // Outermost dimension first, as PyTorch/safetensors write it: a Linear weight is
    // {out_features, in_features}. GGUF readers reverse GGUF's innermost-first order.
    std::vector<int64_t> shape;
    const uint8_t *data = nullptr;  // inside a mapping owned by the Checkpoint; validated in range
    size_t nbytes = 0;

    int64_t n_elements() const;
};

// Converts any non-block dtype to float32 (dst holds n_elements floats).
void tensor_to_f32(const TensorView &t, float *dst);

}  // namespace llmrt
