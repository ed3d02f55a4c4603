#include "formats/gguf.h"

#include "formats/gguf_blocks.h"

#include "core/error.h"

namespace llmrt {

bool gguf_type_valid(uint32_t type) { return type <= static_cast<uint32_t>(GgufType::Float64); }

const char *gguf_type_name(GgufType type) {
    switch (type) {
        case GgufType::Uint8: return "uint8";
        case GgufType::Int8: return "int8";
        case GgufType::Uint16: return "uint16";
        case GgufType::Int16: return "int16";
        case GgufType::Uint32: return "uint32";
        case GgufType::Int32: return "int32";
        case GgufType::Float32: return "float32";
        case GgufType::Bool: return "bool";
        case GgufType::String: return "string";
        case GgufType::Array: return "array";
        case GgufType::Uint64: return "uint64";
        case GgufType::Int64: return "int64";
        case GgufType::Float64: return "float64";
    }
    return "unknown";
}

size_t gguf_scalar_size(GgufType type) {
    switch (type) {
        case GgufType::Uint8:
        case GgufType::Int8:
        case GgufType::Bool: return 1;
        case GgufType::Uint16:
        case GgufType::Int16: return 2;
        case GgufType::Uint32:
        case GgufType::Int32:
        case GgufType::Float32: return 4;
        case GgufType::Uint64:
        case GgufType::Int64:
        case GgufType::Float64: return 8;
        case GgufType::String:
        case GgufType::Array: return 0;
    }
    return 0;
}

uint32_t ggml_type_of(DType t) {
    switch (t) {
        case DType::F32: return 0;
        case DType::F16: return 1;
        case DType::BF16: return 30;
        default: break;
    }
    if (const GgufBlockLayout *l = gguf_block_layout(t)) return l->ggml_type;
    fail(Status::InvalidArgument, std::string("GGUF has no type for ") + dtype_name(t) + " tensors");
}

bool dtype_from_ggml_type(uint32_t ggml_type, DType &out) {
    switch (ggml_type) {
        case 0: out = DType::F32; return true;
        case 1: out = DType::F16; return true;
        case 30: out = DType::BF16; return true;
        default: break;
    }
    const GgufBlockLayout *l = gguf_block_layout_for_ggml_type(ggml_type);
    if (l) out = l->dtype;
    return l != nullptr;
}

const char *ggml_type_name(uint32_t ggml_type) {
    // Indexed by id, as in ggml.h; ids 4 and 5 (Q4_2, Q4_3) and 31-33 were removed from ggml.
    // clang-format off
    static const char *const names[] = {
        "F32",   "F16",     "Q4_0",   "Q4_1",    "Q4_2 (removed)", "Q4_3 (removed)", "Q5_0",  "Q5_1",
        "Q8_0",  "Q8_1",    "Q2_K",   "Q3_K",    "Q4_K",           "Q5_K",           "Q6_K",  "Q8_K",
        "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL",         "IQ3_S",          "IQ2_S", "IQ4_XS",
        "I8",    "I16",     "I32",    "I64",     "F64",            "IQ1_M",          "BF16",
    };
    // clang-format on
    const uint32_t n = sizeof(names) / sizeof(names[0]);
    if (ggml_type < n) return names[ggml_type];
    switch (ggml_type) {
        case 34: return "TQ1_0";
        case 35: return "TQ2_0";
        case 39: return "MXFP4";
        default: return "unknown";
    }
}

}  // namespace llmrt
