// Finding weight types: the descriptor for a quantized format and compute type, by value or by
// the name a file records, and llama.cpp's GGUF blocks repacked into our layouts exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kernels/matrix.h"
#include "kernels/quant_format.h"

namespace llmrt {

// The descriptor storing `format` whose matmul computes in `compute` (Auto: the fastest this CPU
// supports for the format; a compute type the CPU or format cannot do falls back to the next
// best: resolve_compute in kernel_table.h). Created once per resulting compute type, thread-safe,
// lives for the process.
const WeightType &weight_type_for(const QuantFormat &format, ComputeDtype compute);

// "f32" or a quant_format_name(); nullptr when the name is not a known type.
const WeightType *find_weight_type(const std::string &name, ComputeDtype compute);

// Packs one row held as integer codes with one scale (and min, asym) per group into int weight
// type `type` (format().group_size values per group, codes in int_quant.h's convention), without
// re-rounding: how llama.cpp's other block types (formats/gguf_blocks.h) are loaded.
void pack_int_codes_row(const WeightType &type, int64_t cols, const uint8_t *codes, const float *scales,
                        const float *mins, uint8_t *dst);
// The inverse of pack_int_codes_row: one packed row of int weight type `type` as integer codes
// (cols of them), one scale (and min, asym) per group (format().group_size values; one for a
// whole-row type). Exact: the stored scales are returned as floats. What exporters read.
void unpack_int_codes_row(const WeightType &type, int64_t cols, const uint8_t *row, uint8_t *codes, float *scales,
                          float *mins);

// The three llama.cpp block types whose repack has a fast path of its own (loading a Q8_0 file is
// mostly this copy).
enum class GgufBlockType { Q8_0, Q4_0, Q4_1 };
// Our format holding exactly the same values in as many bytes: Q8_0 -> int8_g32_sym_fp16,
// Q4_0 -> int4_g32_sym_fp16, Q4_1 -> int4_g32_asym_fp16 (the blocks' fp16 scales kept as they are).
QuantFormat gguf_block_format(GgufBlockType type);
// Converts rows of GGUF blocks (cols a multiple of 32) into dst_type's row layout without
// re-rounding. dst_type->format() must equal gguf_block_format(type).
void repack_gguf_rows(GgufBlockType type, const uint8_t *src, int64_t rows, int64_t cols, const WeightType &dst_type,
                      uint8_t *dst);
// The block type holding `format` exactly (the inverse of gguf_block_format), or nullopt.
std::optional<GgufBlockType> gguf_block_type_for(const QuantFormat &format);
// The inverse of repack_gguf_rows: rows of src_type (whose format is gguf_block_format(type))
// into llama.cpp's blocks, bit for bit (the fp16 scales copied as they are). cols must be a
// multiple of 32. dst holds rows * cols / 32 blocks.
void unpack_gguf_rows(GgufBlockType type, const WeightType &src_type, const uint8_t *src, int64_t rows, int64_t cols,
                      uint8_t *dst);

}  // namespace llmrt
