#include "kernels/quant_format.h"

#include <cstdlib>
#include <cstring>

#include "core/float16.h"

namespace llmrt {
namespace {

struct KindName {
    QuantKind kind;
    const char *name;
};
const KindName kKinds[] = {
    {QuantKind::Int8, "int8"},         {QuantKind::Int4, "int4"},         {QuantKind::NF4, "nf4"},
    {QuantKind::FP4, "fp4"},           {QuantKind::FP8_E4M3, "fp8_e4m3"}, {QuantKind::FP8_E5M2, "fp8_e5m2"},
};

bool is_integer(QuantKind k) { return k == QuantKind::Int8 || k == QuantKind::Int4; }

// Splits off the text before the last `n` underscore-separated fields.
bool split_tail(std::string_view name, std::string_view &head, std::string_view tail[3]) {
    for (int i = 2; i >= 0; --i) {
        const size_t at = name.rfind('_');
        if (at == std::string_view::npos) return false;
        tail[i] = name.substr(at + 1);
        name = name.substr(0, at);
    }
    head = name;
    return true;
}

}  // namespace

const char *quant_kind_name(QuantKind kind) {
    for (const KindName &k : kKinds)
        if (k.kind == kind) return k.name;
    return "?";
}

int quant_kind_count() { return static_cast<int>(sizeof(kKinds) / sizeof(kKinds[0])); }

QuantKind quant_kind_at(int index) { return kKinds[index].kind; }

std::string quant_kind_list() {
    std::string out;
    for (const KindName &k : kKinds) out += (out.empty() ? "" : ", ") + std::string(k.name);
    return out;
}

std::optional<QuantKind> parse_quant_kind(std::string_view name) {
    for (const KindName &k : kKinds)
        if (name == k.name) return k.kind;
    return std::nullopt;
}

std::optional<ScaleDtype> parse_scale_dtype(std::string_view name) {
    if (name == "fp32" || name == "f32") return ScaleDtype::F32;
    if (name == "bf16") return ScaleDtype::BF16;
    if (name == "fp16" || name == "f16") return ScaleDtype::F16;
    return std::nullopt;
}

const char *scale_dtype_name(ScaleDtype scale) {
    switch (scale) {
        case ScaleDtype::BF16: return "bf16";
        case ScaleDtype::F16: return "fp16";
        default: return "fp32";
    }
}

int64_t scale_dtype_bytes(ScaleDtype scale) { return scale == ScaleDtype::F32 ? 4 : 2; }

float load_scale(const uint8_t *p, int64_t i, ScaleDtype scale) {
    if (scale == ScaleDtype::F32) {
        float f;
        std::memcpy(&f, p + 4 * i, sizeof f);
        return f;
    }
    uint16_t h;
    std::memcpy(&h, p + 2 * i, sizeof h);
    return scale == ScaleDtype::BF16 ? bf16_to_f32(h) : f16_to_f32(h);
}

namespace {
// fp16 tops out at 65504: a larger scale saturates there (its group's values clip) rather than
// becoming infinity and every value of the group NaN.
constexpr float kF16Max = 65504.0f;
float saturate_f16(float v) { return v > kF16Max ? kF16Max : v < -kF16Max ? -kF16Max : v; }
}  // namespace

void store_scale(uint8_t *p, int64_t i, ScaleDtype scale, float v) {
    if (scale == ScaleDtype::F32) {
        std::memcpy(p + 4 * i, &v, sizeof v);
        return;
    }
    const uint16_t h = scale == ScaleDtype::BF16 ? f32_to_bf16(v) : f32_to_f16(saturate_f16(v));
    std::memcpy(p + 2 * i, &h, sizeof h);
}

float round_to_scale(ScaleDtype scale, float v) {
    if (scale == ScaleDtype::BF16) return bf16_to_f32(f32_to_bf16(v));
    if (scale == ScaleDtype::F16) return f16_to_f32(f32_to_f16(saturate_f16(v)));
    return v;
}

std::optional<ComputeDtype> parse_compute_dtype(std::string_view name) {
    if (name == "auto" || name.empty()) return ComputeDtype::Auto;
    if (name == "fp32" || name == "f32") return ComputeDtype::F32;
    if (name == "bf16") return ComputeDtype::BF16;
    if (name == "int8") return ComputeDtype::Int8;
    return std::nullopt;
}

const char *compute_dtype_name(ComputeDtype compute) {
    switch (compute) {
        case ComputeDtype::F32: return "fp32";
        case ComputeDtype::BF16: return "bf16";
        case ComputeDtype::Int8: return "int8";
        default: return "auto";
    }
}

std::string quant_format_name(const QuantFormat &f) {
    const std::string group = f.group_size < 0 ? "grow" : "g" + std::to_string(f.group_size);
    return std::string(quant_kind_name(f.kind)) + "_" + group + (f.asym ? "_asym_" : "_sym_") +
           scale_dtype_name(f.scale);
}

std::optional<QuantFormat> parse_quant_format(std::string_view name) {
    std::string_view head, tail[3];
    if (!split_tail(name, head, tail)) return std::nullopt;
    QuantFormat f;
    const auto kind = parse_quant_kind(head);
    const auto scale = parse_scale_dtype(tail[2]);
    if (!kind || !scale || (tail[1] != "sym" && tail[1] != "asym")) return std::nullopt;
    f.kind = *kind;
    f.scale = *scale;
    f.asym = tail[1] == "asym";
    if (tail[0] == "grow") {
        f.group_size = -1;
    } else {
        if (tail[0].size() < 2 || tail[0][0] != 'g') return std::nullopt;
        const std::string digits(tail[0].substr(1));
        char *end = nullptr;
        const long g = std::strtol(digits.c_str(), &end, 10);
        if (*end != '\0' || g <= 0 || g > (1 << 20)) return std::nullopt;
        f.group_size = static_cast<int32_t>(g);
    }
    if (!validate_quant_format(f).empty()) return std::nullopt;
    return f;
}

std::string validate_quant_format(const QuantFormat &f) {
    if (f.group_size != -1 && (f.group_size <= 0 || f.group_size % 16 != 0))
        return "group_size must be -1 (per output channel) or a positive multiple of 16, got " +
               std::to_string(f.group_size);
    if (f.asym && !is_integer(f.kind))
        return std::string("asymmetric quantization applies to int8 and int4 only, not ") + quant_kind_name(f.kind);
    return "";
}

}  // namespace llmrt
