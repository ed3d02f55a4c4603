// llama.cpp's quantized block types, one row each (as ggml's type traits): their layout, and
// each block decoded into integer codes with per-group scales and mins. Every one of these types
// is, value for value, an int4 or int8 type of ours with a group of 16 or 32:
//     asym: value = scale * code + min          sym: value = scale * (code - zero)
// (zero = 8 for int4 codes, 128 for int8 codes), with scales and mins computed as llama.cpp
// computes them (fp16 super-block scale times a small integer is exact in fp32). So a GGUF
// tensor is repacked into our layout without re-rounding, and dequantizing through the codes
// gives llama.cpp's floats bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "formats/tensor.h"

namespace llmrt {

struct GgufBlockLayout {
    DType dtype;
    const char *name;    // as llama.cpp spells it
    uint32_t ggml_type;  // the id in GGUF files
    int64_t values;      // per block: 32, or 256 for the K and IQ4_XS super-blocks
    size_t bytes;        // per block
    int code_bits;       // 4 or 8: the smaller of our int types that holds every code
    int64_t group;       // values sharing one scale (and min): 16 or 32
    bool asym;
    bool fp16_scales;    // the scales are the file's fp16 numbers; else products, kept in fp32
};

// The row for a block dtype; nullptr for F32, F16, BF16 and Packed.
const GgufBlockLayout *gguf_block_layout(DType t);
// The row for a GGUF type id; nullptr if it is not a block type we read.
const GgufBlockLayout *gguf_block_layout_for_ggml_type(uint32_t ggml_type);

// "Q4_0, Q4_1, ...": the block types read, for messages.
std::string gguf_block_type_names();

// Decodes one block of `layout`: codes[layout.values], scales[values / group] and, when asym,
// mins[values / group].
void decode_gguf_block(const GgufBlockLayout &layout, const uint8_t *block, uint8_t *codes, float *scales,
                       float *mins);

// Dequantizes n_blocks consecutive blocks into floats, exactly as llama.cpp does.
void dequantize_gguf_blocks(const GgufBlockLayout &layout, const uint8_t *src, int64_t n_blocks, float *dst);

}  // namespace llmrt
