// GGUF constants shared by the reader and the writer (little-endian GGUF v2/v3, as llama.cpp's
// gguf.h defines them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/tensor.h"

namespace llmrt {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian uint32
constexpr uint32_t kGgufVersion = 3;         // what the writer produces
constexpr uint64_t kGgufDefaultAlignment = 32;
constexpr uint32_t kGgufMaxDims = 4;
constexpr const char *kGgufAlignmentKey = "general.alignment";

// Metadata value types as stored in the file.
enum class GgufType : uint32_t {
    Uint8 = 0,
    Int8 = 1,
    Uint16 = 2,
    Int16 = 3,
    Uint32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    Uint64 = 10,
    Int64 = 11,
    Float64 = 12,
};

bool gguf_type_valid(uint32_t type);
const char *gguf_type_name(GgufType type);
// Size of a scalar of this type; 0 for String and Array.
size_t gguf_scalar_size(GgufType type);

// ggml tensor type ids of the dtypes we read (0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 8 Q8_0, 30 BF16).
// Throws Error(Status::InvalidArgument) for Packed, which GGUF cannot hold.
uint32_t ggml_type_of(DType t);
// False for ggml types this build does not read (K-quants, IQ types, unknown ids).
bool dtype_from_ggml_type(uint32_t ggml_type, DType &out);
// "Q4_K", or "unknown" for ids ggml does not define; for messages.
const char *ggml_type_name(uint32_t ggml_type);

}  // namespace llmrt
