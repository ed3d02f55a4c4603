#include "kernels/lut_quant.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>

namespace llmrt {
namespace {

// QLoRA's NormalFloat4 levels (bitsandbytes), ascending: quantiles of N(0, 1) scaled to [-1, 1]
// with an exact zero.
alignas(64) constexpr float kNf4Values[16] = {
    -1.0f,
    -0.6961928009986877f,
    -0.5250730514526367f,
    -0.39491748809814453f,
    -0.28444138169288635f,
    -0.18477343022823334f,
    -0.09105003625154495f,
    0.0f,
    0.07958029955625534f,
    0.16093020141124725f,
    0.24611230194568634f,
    0.33791524171829224f,
    0.44070982933044434f,
    0.5626170039176941f,
    0.7229568362236023f,
    1.0f,
};

// OCP MX E2M1: sign, 2 exponent bits (bias 1), 1 mantissa bit; code 1 is the subnormal 0.5.
alignas(64) constexpr float kFp4Values[16] = {
    0.0f,  0.5f,  1.0f,  1.5f,  2.0f,  3.0f,  4.0f,  6.0f,
    -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f,
};

struct Fp8Table {
    alignas(64) std::array<float, 256> v;
};

// OCP 8-bit floats: E4M3 ("fn": bias 7, no inf, only S.1111.111 is NaN) and E5M2 (bias 15,
// IEEE-like inf and NaN).
Fp8Table make_fp8_table(int exp_bits, int man_bits, int bias, bool ieee_specials) {
    Fp8Table t;
    const int exp_max = (1 << exp_bits) - 1;
    const int man_mask = (1 << man_bits) - 1;
    for (int code = 0; code < 256; ++code) {
        const int e = (code >> man_bits) & exp_max;
        const int m = code & man_mask;
        float v;
        if (ieee_specials && e == exp_max) {
            v = m == 0 ? std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
        } else if (!ieee_specials && e == exp_max && m == man_mask) {
            v = std::numeric_limits<float>::quiet_NaN();
        } else if (e == 0) {
            v = std::ldexp(static_cast<float>(m), 1 - bias - man_bits);
        } else {
            v = std::ldexp(static_cast<float>(m + (1 << man_bits)), e - bias - man_bits);
        }
        t.v[static_cast<size_t>(code)] = (code & 0x80) ? -v : v;
    }
    return t;
}

const Fp8Table &e4m3_table() {
    static const Fp8Table t = make_fp8_table(4, 3, 7, false);
    return t;
}
const Fp8Table &e5m2_table() {
    static const Fp8Table t = make_fp8_table(5, 2, 15, true);
    return t;
}

constexpr uint8_t zero_code(QuantKind kind) { return kind == QuantKind::NF4 ? 7 : 0; }

// The OCP float kinds as fields: non-negative codes are contiguous and ascending in value, so
// the code of a rounded magnitude is its exponent and mantissa written side by side.
struct FpSpec {
    int man_bits, bias, max_code;
    float max_value;
    int sign_bit;
};

constexpr FpSpec fp_spec(QuantKind kind) {
    switch (kind) {
        case QuantKind::FP4: return {1, 1, 0x7, 6.0f, 0x8};
        case QuantKind::FP8_E4M3: return {3, 7, 0x7e, 448.0f, 0x80};  // 0x7f is NaN
        default: return {2, 15, 0x7b, 57344.0f, 0x80};                // E5M2; 0x7c is inf
    }
}

float pow2(int e) {  // e in [-126, 127]
    const uint32_t u = static_cast<uint32_t>(e + 127) << 23;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// x rounded to the nearest integer, ties to even, for 0 <= x < 2^22: adding 2^23 leaves no
// fraction bits, so the fp32 addition rounds (in the default rounding mode). std::rint does the
// same but is a library call on baseline x86-64, and packing a model calls this a billion times.
float round_half_even(float x) {
    const float shift = 8388608.0f;  // 2^23
    return (x + shift) - shift;
}

// Code of the magnitude a >= 0 rounded to nearest, ties to even; saturates at the largest
// finite value.
int encode_magnitude(const FpSpec &s, float a) {
    if (!(a < s.max_value)) return s.max_code;
    const int one = 1 << s.man_bits;
    if (a < pow2(1 - s.bias))  // subnormal: a multiple of the smallest subnormal
        return static_cast<int>(round_half_even(a * pow2(s.bias - 1 + s.man_bits)));
    uint32_t u;
    std::memcpy(&u, &a, 4);
    const int e = static_cast<int>(u >> 23) - 127;  // a is a normal fp32 here
    // q in [one, 2 * one]; 2 * one carries into the next exponent, which the sum does too.
    const int q = static_cast<int>(round_half_even(a * pow2(s.man_bits - e)));
    return std::min((e + s.bias) * one + q - one, s.max_code);
}

// Midpoints between neighbouring nf4 levels, exact in double.
struct Nf4Midpoints {
    double mid[15];
};

constexpr Nf4Midpoints make_nf4_midpoints() {
    Nf4Midpoints m{};
    for (int i = 0; i < 15; ++i) m.mid[i] = (double(kNf4Values[i]) + kNf4Values[i + 1]) / 2;
    return m;
}
constexpr Nf4Midpoints kNf4Midpoints = make_nf4_midpoints();

// The nearest nf4 level; a value exactly between two goes to the even code.
int encode_nf4(float v) {
    int code = 0;
    for (int i = 0; i < 15; ++i) {
        const double mid = kNf4Midpoints.mid[i];
        code += (v > mid || (v == mid && i % 2 == 1)) ? 1 : 0;
    }
    return code;
}

template <QuantKind K>
uint8_t encode(float v) {
    if (std::isnan(v)) return zero_code(K);
    if constexpr (K == QuantKind::NF4) {
        return static_cast<uint8_t>(encode_nf4(v));
    } else {
        constexpr FpSpec s = fp_spec(K);
        const int code = encode_magnitude(s, std::fabs(v));
        // -0 is stored as +0, so a group of zeros packs to zero bytes.
        return static_cast<uint8_t>(v < 0 && code != 0 ? code | s.sign_bit : code);
    }
}

int64_t round_up(int64_t n, int64_t to) { return (n + to - 1) / to * to; }

void store_group_scale(const LutLayout &l, uint8_t *row, int64_t g, float scale) {
    store_scale(row + l.code_bytes, g, l.scale, scale);
}

void store_code(const LutLayout &l, uint8_t *row, int64_t c, uint8_t code) {
    if (!lut_is_4bit(l.kind)) {
        row[c] = code;
        return;
    }
    uint8_t &byte = row[(c / 32) * 16 + (c % 16)];
    byte = (c % 32) < 16 ? static_cast<uint8_t>((byte & 0xf0) | code) : static_cast<uint8_t>((byte & 0x0f) | (code << 4));
}

// Codes of src[c0, c1) / scale, with the kind's encoder inlined: packing a model encodes
// billions of values.
template <QuantKind K>
void encode_range(const LutLayout &l, const float *src, int64_t c0, int64_t c1, float scale, uint8_t *row) {
    for (int64_t c = c0; c < c1; ++c) store_code(l, row, c, scale > 0.0f ? encode<K>(src[c] / scale) : zero_code(K));
}

}  // namespace

bool lut_is_family(QuantKind kind) {
    return kind == QuantKind::NF4 || kind == QuantKind::FP4 || kind == QuantKind::FP8_E4M3 ||
           kind == QuantKind::FP8_E5M2;
}

bool lut_is_4bit(QuantKind kind) { return kind == QuantKind::NF4 || kind == QuantKind::FP4; }

LutLayout lut_layout(const QuantFormat &format, int64_t cols) {
    LutLayout l;
    l.kind = format.kind;
    l.scale = format.scale;
    l.cols = cols;
    l.padded_cols = round_up(cols, kLutColAlign);
    l.group = format.group_size > 0 ? format.group_size : std::max<int64_t>(cols, 1);
    l.n_groups = (cols + l.group - 1) / l.group;
    l.code_bytes = static_cast<size_t>(lut_is_4bit(l.kind) ? l.padded_cols / 2 : l.padded_cols);
    const size_t scale_bytes = static_cast<size_t>(l.n_groups) * scale_dtype_bytes(l.scale);
    l.row_bytes = static_cast<size_t>(round_up(static_cast<int64_t>(l.code_bytes + scale_bytes), kLutRowAlign));
    return l;
}

const float *lut_code_values(QuantKind kind) {
    switch (kind) {
        case QuantKind::NF4: return kNf4Values;
        case QuantKind::FP4: return kFp4Values;
        case QuantKind::FP8_E4M3: return e4m3_table().v.data();
        case QuantKind::FP8_E5M2: return e5m2_table().v.data();
        default: return nullptr;
    }
}

float lut_max_value(QuantKind kind) { return kind == QuantKind::NF4 ? 1.0f : fp_spec(kind).max_value; }

uint8_t lut_zero_code(QuantKind kind) { return zero_code(kind); }

uint8_t lut_encode(QuantKind kind, float v) {
    switch (kind) {
        case QuantKind::NF4: return encode<QuantKind::NF4>(v);
        case QuantKind::FP4: return encode<QuantKind::FP4>(v);
        case QuantKind::FP8_E4M3: return encode<QuantKind::FP8_E4M3>(v);
        default: return encode<QuantKind::FP8_E5M2>(v);
    }
}

uint8_t lut_code_at(const LutLayout &l, const uint8_t *row, int64_t c) {
    if (!lut_is_4bit(l.kind)) return row[c];
    const uint8_t byte = row[(c / 32) * 16 + (c % 16)];
    return (c % 32) < 16 ? (byte & 0x0f) : (byte >> 4);
}

void lut_pack_row(const LutLayout &l, const float *src, uint8_t *dst) {
    std::memset(dst, 0, l.row_bytes);
    const float max_value = lut_max_value(l.kind);
    for (int64_t g = 0; g < l.n_groups; ++g) {
        const int64_t c0 = g * l.group, c1 = std::min(l.cols, c0 + l.group);
        float amax = 0.0f;
        for (int64_t c = c0; c < c1; ++c) amax = std::max(amax, std::fabs(src[c]));
        store_group_scale(l, dst, g, amax / max_value);
        // Codes are chosen against the scale as stored (bf16 or fp16 may have rounded it).
        const float scale = lut_scale_at(l, dst, g);
        switch (l.kind) {
            case QuantKind::NF4: encode_range<QuantKind::NF4>(l, src, c0, c1, scale, dst); break;
            case QuantKind::FP4: encode_range<QuantKind::FP4>(l, src, c0, c1, scale, dst); break;
            case QuantKind::FP8_E4M3: encode_range<QuantKind::FP8_E4M3>(l, src, c0, c1, scale, dst); break;
            default: encode_range<QuantKind::FP8_E5M2>(l, src, c0, c1, scale, dst); break;
        }
    }
    for (int64_t c = l.cols; c < l.padded_cols; ++c) store_code(l, dst, c, lut_zero_code(l.kind));
}

void lut_unpack_range(const LutLayout &l, const uint8_t *row, int64_t c0, int64_t n, float *out) {
    const float *values = lut_code_values(l.kind);
    for (int64_t i = 0; i < n; ++i) {
        const int64_t c = c0 + i;
        out[i] = values[lut_code_at(l, row, c)] * lut_scale_at(l, row, lut_group_of(l, c));
    }
}

uint16_t lut_bf16_round(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x40);  // quiet NaN
    if ((u & 0x7f800000u) == 0) return static_cast<uint16_t>((u >> 16) & 0x8000);          // denormal: +-0
    u += 0x7fffu + ((u >> 16) & 1u);
    return static_cast<uint16_t>(u >> 16);
}

float lut_bf16_to_f32(uint16_t h) {
    const uint32_t u = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

void lut_slice_row(const LutLayout &src, const uint8_t *row, int64_t c0, const LutLayout &dst, uint8_t *out) {
    std::memset(out, 0, dst.row_bytes);
    for (int64_t c = 0; c < dst.cols; ++c) store_code(dst, out, c, lut_code_at(src, row, c0 + c));
    for (int64_t c = dst.cols; c < dst.padded_cols; ++c) store_code(dst, out, c, lut_zero_code(dst.kind));
    for (int64_t g = 0; g < dst.n_groups; ++g)
        store_group_scale(dst, out, g, lut_scale_at(src, row, (c0 + g * dst.group) / src.group));
}

}  // namespace llmrt
