// IEEE half and bfloat16 <-> float conversions, shared by file readers and kernels.
#pragma once

#include <cstdint>
#include <cstring>

namespace llmrt {

// Exact (every half is a float), including subnormals, infinities and NaN.
float f16_to_f32(uint16_t h);
// Round to nearest even; overflow gives infinity, NaN stays NaN.
uint16_t f32_to_f16(float f);

inline float bf16_to_f32(uint16_t h) {
    const uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// Round to nearest even (NaN stays a quiet NaN), as vcvtneps2bf16 does.
inline uint16_t f32_to_bf16(float f) {
    uint32_t x;
    std::memcpy(&x, &f, sizeof x);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
    return static_cast<uint16_t>((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace llmrt
