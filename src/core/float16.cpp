#include "core/float16.h"

#include <cmath>

namespace llmrt {
namespace {

float bits_to_f32(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

uint32_t f32_to_bits(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return bits;
}

}  // namespace

float f16_to_f32(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
    const uint32_t exponent = (h >> 10) & 0x1F;
    uint32_t mantissa = h & 0x3FF;
    if (exponent == 0x1F) return bits_to_f32(sign | 0x7F800000 | (mantissa << 13));  // inf, NaN
    if (exponent != 0) return bits_to_f32(sign | ((exponent + 112) << 23) | (mantissa << 13));
    if (mantissa == 0) return bits_to_f32(sign);
    // Subnormal half: shift the mantissa up until its leading bit becomes the implicit one;
    // every half subnormal is a normal float.
    uint32_t e = 113;
    while ((mantissa & 0x400) == 0) {
        mantissa <<= 1;
        --e;
    }
    return bits_to_f32(sign | (e << 23) | ((mantissa & 0x3FF) << 13));
}

uint16_t f32_to_f16(float f) {
    const uint32_t x = f32_to_bits(f);
    const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
    const uint32_t a = x & 0x7FFFFFFF;
    if (a > 0x7F800000) return static_cast<uint16_t>(sign | 0x7E00 | ((a >> 13) & 0x3FF));  // quiet NaN
    if (a >= 0x477FF000) return static_cast<uint16_t>(sign | 0x7C00);  // rounds to >= 65520: inf
    if (a < 0x38800000) {
        // Below the smallest normal half: the result is a multiple of 2^-24. Scaling by 2^24 is
        // exact, and nearbyint rounds half to even in the default rounding mode.
        const float scaled = std::nearbyint(bits_to_f32(a) * 16777216.0f);
        return static_cast<uint16_t>(sign | static_cast<uint16_t>(scaled));
    }
    uint32_t h = (((a >> 23) - 112) << 10) | ((a >> 13) & 0x3FF);
    const uint32_t rest = a & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;  // a carry moves into the exponent, as it should
    return static_cast<uint16_t>(sign | h);
}

}  // namespace llmrt
