// The storage formats of quantized weights: what a file records and what the kernels read.
// A format is a value type; weight_type_for() (weight_types.h) turns it into the descriptor
// with pack/unpack/matmul for a compute type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmrt {

enum class QuantKind { Int8, Int4, NF4, FP4, FP8_E4M3, FP8_E5M2 };
// How a block's scale (and min) is stored. F16 is what llama.cpp's blocks hold: GGUF files load
// without growing.
enum class ScaleDtype { F32, BF16, F16 };
constexpr int32_t kScaleDtypeCount = 3;
// What the dot products run in. Auto = the fastest this CPU supports for the format.
enum class ComputeDtype { Auto, F32, BF16, Int8 };
constexpr int32_t kComputeDtypeCount = 4;

struct QuantFormat {
    QuantKind kind = QuantKind::Int4;
    int32_t group_size = 32;  // values sharing one scale; -1 = the whole row
    bool asym = false;        // Int8/Int4 only: value = q * scale + min (q unsigned) instead of q * scale
    ScaleDtype scale = ScaleDtype::F32;

    bool operator==(const QuantFormat &o) const {
        return kind == o.kind && group_size == o.group_size && asym == o.asym && scale == o.scale;
    }
};

// "int4_g32_sym_fp32", "int8_grow_asym_bf16", "nf4_g64_sym_fp32", "fp8_e4m3_g128_sym_bf16" ...
std::string quant_format_name(const QuantFormat &format);
std::optional<QuantFormat> parse_quant_format(std::string_view name);

// User-facing spellings, as in llmrt_quant_params ("int4", "nf4", "fp8_e4m3"; "fp32"/"bf16";
// "auto"/"fp32"/"bf16"/"int8"). nullopt for unknown names.
std::optional<QuantKind> parse_quant_kind(std::string_view name);
const char *quant_kind_name(QuantKind kind);
// Every kind in a fixed order, for listings (llmrt_weight_dtype_name, help texts, errors).
int quant_kind_count();
QuantKind quant_kind_at(int index);  // 0 <= index < quant_kind_count()
std::string quant_kind_list();       // "int8, int4, nf4, fp4, fp8_e4m3, fp8_e5m2"
std::optional<ScaleDtype> parse_scale_dtype(std::string_view name);
const char *scale_dtype_name(ScaleDtype scale);  // "fp32", "bf16", "fp16"
int64_t scale_dtype_bytes(ScaleDtype scale);
// Stored scales: value i of an array at p, and its inverse; round_to_scale is what storing keeps.
float load_scale(const uint8_t *p, int64_t i, ScaleDtype scale);
void store_scale(uint8_t *p, int64_t i, ScaleDtype scale, float v);
float round_to_scale(ScaleDtype scale, float v);
std::optional<ComputeDtype> parse_compute_dtype(std::string_view name);
const char *compute_dtype_name(ComputeDtype compute);

// Valid: group_size is -1 or a positive multiple of 16 (32, 64, 128 are the tested ones);
// asym only for integer kinds. Returns an explanation when invalid, "" when valid.
std::string validate_quant_format(const QuantFormat &format);

}  // namespace llmrt
