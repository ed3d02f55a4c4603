#include "formats/gguf_blocks.h"

#include <cstring>

#include "core/error.h"
#include "core/float16.h"

namespace llmrt {
namespace {

// clang-format off
constexpr GgufBlockLayout kLayouts[] = {
    // dtype          name    ggml values bytes bits group asym   fp16 scales
    {DType::Q4_0, "Q4_0",  2,   32,  18, 4, 32, false, true},
    {DType::Q4_1, "Q4_1",  3,   32,  20, 4, 32, true,  true},
    {DType::Q5_0, "Q5_0",  6,   32,  22, 8, 32, false, true},
    {DType::Q5_1, "Q5_1",  7,   32,  24, 8, 32, true,  true},
    {DType::Q8_0, "Q8_0",  8,   32,  34, 8, 32, false, true},
    {DType::Q2_K, "Q2_K",  10,  256,  84, 4, 16, true,  false},
    {DType::Q3_K, "Q3_K",  11,  256, 110, 4, 16, false, false},
    {DType::Q4_K, "Q4_K",  12,  256, 144, 4, 32, true,  false},
    {DType::Q5_K, "Q5_K",  13,  256, 176, 8, 32, true,  false},
    {DType::Q6_K, "Q6_K",  14,  256, 210, 8, 16, false, false},
    {DType::IQ4_NL, "IQ4_NL",20,   32,  18, 8, 32, false, true},
    {DType::IQ4_XS, "IQ4_XS",23,  256, 136, 8, 32, false, false},
};
// clang-format on

// The 16 values an IQ4 nibble selects (a non-uniform grid, so held as int8 codes).
constexpr int8_t kIq4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

float f16_at(const uint8_t *p) { return f16_to_f32(static_cast<uint16_t>(p[0] | (p[1] << 8))); }

// Our unsigned int8 code of a signed value (zero 128).
uint8_t code8(int v) { return static_cast<uint8_t>(v + 128); }

// Q4_K / Q5_K: 8 groups' 6-bit scale and min, packed in 12 bytes.
void k4_scale_min(const uint8_t *q, int j, int &sc, int &m) {
    if (j < 4) {
        sc = q[j] & 63;
        m = q[j + 4] & 63;
    } else {
        sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

// Q4_0 / Q4_1 / Q5_0 / Q5_1 / IQ4_NL: byte j holds value j (low nibble) and j + 16 (high).
void nibbles32(const uint8_t *qs, int *v) {
    for (int j = 0; j < 16; ++j) {
        v[j] = qs[j] & 0xF;
        v[j + 16] = qs[j] >> 4;
    }
}

// Q5_0 / Q5_1: the fifth bit of value j is bit j of qh.
void add_high_bits32(const uint8_t *qh_bytes, int *v) {
    uint32_t qh;
    std::memcpy(&qh, qh_bytes, 4);
    for (int j = 0; j < 32; ++j) v[j] |= static_cast<int>((qh >> j) & 1u) << 4;
}

void decode_q2_k(const uint8_t *b, uint8_t *codes, float *scales, float *mins) {
    const uint8_t *sc = b, *q = b + 16;
    const float d = f16_at(b + 80), dmin = f16_at(b + 82);
    int g = 0;
    for (int half = 0; half < 2; ++half, q += 32)
        for (int shift = 0; shift < 8; shift += 2)
            for (int part = 0; part < 2; ++part, ++g) {
                scales[g] = d * static_cast<float>(sc[g] & 0xF);
                mins[g] = -(dmin * static_cast<float>(sc[g] >> 4));
                for (int l = 0; l < 16; ++l) codes[g * 16 + l] = static_cast<uint8_t>((q[l + 16 * part] >> shift) & 3);
            }
}

void decode_q3_k(const uint8_t *b, uint8_t *codes, float *scales) {
    const uint8_t *hm = b, *q = b + 32, *s = b + 96;
    const float d = f16_at(b + 108);
    for (int j = 0; j < 16; ++j) {
        const int low = j < 8 ? s[j] & 0xF : s[j - 8] >> 4;
        const int high = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
        scales[j] = d * static_cast<float>((low | (high << 4)) - 32);
    }
    int g = 0, bit = 0;
    for (int half = 0; half < 2; ++half, q += 32)
        for (int shift = 0; shift < 8; shift += 2, ++bit)
            for (int part = 0; part < 2; ++part, ++g)
                for (int l = 0; l < 16; ++l) {
                    const int i = l + 16 * part;
                    const int v = ((q[i] >> shift) & 3) - ((hm[i] >> bit) & 1 ? 0 : 4);
                    codes[g * 16 + l] = static_cast<uint8_t>(v + 8);
                }
}

// Q4_K and Q5_K (with_high: the fifth bits in qh).
void decode_q45_k(const uint8_t *b, bool with_high, uint8_t *codes, float *scales, float *mins) {
    const float d = f16_at(b), dmin = f16_at(b + 2);
    const uint8_t *s = b + 4, *qh = b + 16, *q = with_high ? b + 48 : b + 16;
    for (int g = 0; g < 8; ++g) {
        int sc, m;
        k4_scale_min(s, g, sc, m);
        scales[g] = d * static_cast<float>(sc);
        mins[g] = -(dmin * static_cast<float>(m));
        const uint8_t *qg = q + 32 * (g / 2);
        const int shift = 4 * (g % 2);
        for (int l = 0; l < 32; ++l) {
            int v = (qg[l] >> shift) & 0xF;
            if (with_high) v |= ((qh[l] >> g) & 1) << 4;
            codes[g * 32 + l] = static_cast<uint8_t>(v);
        }
    }
}

void decode_q6_k(const uint8_t *b, uint8_t *codes, float *scales) {
    const uint8_t *ql = b, *qh = b + 128;
    const int8_t *sc = reinterpret_cast<const int8_t *>(b + 192);
    const float d = f16_at(b + 208);
    for (int g = 0; g < 16; ++g) scales[g] = d * static_cast<float>(sc[g]);
    for (int half = 0; half < 2; ++half, ql += 64, qh += 32, codes += 128)
        for (int l = 0; l < 32; ++l) {
            const int q1 = (ql[l] & 0xF) | ((qh[l] & 3) << 4);
            const int q2 = (ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4);
            const int q3 = (ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4);
            const int q4 = (ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4);
            codes[l] = code8(q1 - 32);
            codes[l + 32] = code8(q2 - 32);
            codes[l + 64] = code8(q3 - 32);
            codes[l + 96] = code8(q4 - 32);
        }
}

void decode_iq4_xs(const uint8_t *b, uint8_t *codes, float *scales) {
    const float d = f16_at(b);
    const uint16_t scales_h = static_cast<uint16_t>(b[2] | (b[3] << 8));
    const uint8_t *scales_l = b + 4, *qs = b + 8;
    for (int g = 0; g < 8; ++g, qs += 16) {
        const int ls = ((scales_l[g / 2] >> (4 * (g % 2))) & 0xF) | (((scales_h >> (2 * g)) & 3) << 4);
        scales[g] = d * static_cast<float>(ls - 32);
        int v[32];
        nibbles32(qs, v);
        for (int j = 0; j < 32; ++j) codes[g * 32 + j] = code8(kIq4Values[v[j]]);
    }
}

// The 32-value types: one fp16 scale (and min) per block.
void decode_block32(DType t, const uint8_t *b, uint8_t *codes, float *scales, float *mins) {
    scales[0] = f16_at(b);
    int v[32];
    switch (t) {
        case DType::Q8_0:
            for (int j = 0; j < 32; ++j) codes[j] = static_cast<uint8_t>(b[2 + j] ^ 0x80u);
            return;
        case DType::Q4_0: nibbles32(b + 2, v); break;
        case DType::Q4_1:
            mins[0] = f16_at(b + 2);
            nibbles32(b + 4, v);
            break;
        case DType::Q5_0:
            nibbles32(b + 6, v);
            add_high_bits32(b + 2, v);
            for (int &x : v) x = code8(x - 16);
            break;
        case DType::Q5_1:
            mins[0] = f16_at(b + 2);
            nibbles32(b + 8, v);
            add_high_bits32(b + 4, v);
            break;
        case DType::IQ4_NL:
            nibbles32(b + 2, v);
            for (int &x : v) x = code8(kIq4Values[x]);
            break;
        default: fail(Status::Internal, std::string("not a 32-value block type: ") + dtype_name(t));
    }
    for (int j = 0; j < 32; ++j) codes[j] = static_cast<uint8_t>(v[j]);
}

}  // namespace

const GgufBlockLayout *gguf_block_layout(DType t) {
    for (const GgufBlockLayout &l : kLayouts)
        if (l.dtype == t) return &l;
    return nullptr;
}

const GgufBlockLayout *gguf_block_layout_for_ggml_type(uint32_t ggml_type) {
    for (const GgufBlockLayout &l : kLayouts)
        if (l.ggml_type == ggml_type) return &l;
    return nullptr;
}

std::string gguf_block_type_names() {
    std::string names;
    for (const GgufBlockLayout &l : kLayouts) names += (names.empty() ? "" : ", ") + std::string(l.name);
    return names;
}

void decode_gguf_block(const GgufBlockLayout &layout, const uint8_t *block, uint8_t *codes, float *scales,
                       float *mins) {
    switch (layout.dtype) {
        case DType::Q2_K: decode_q2_k(block, codes, scales, mins); return;
        case DType::Q3_K: decode_q3_k(block, codes, scales); return;
        case DType::Q4_K: decode_q45_k(block, false, codes, scales, mins); return;
        case DType::Q5_K: decode_q45_k(block, true, codes, scales, mins); return;
        case DType::Q6_K: decode_q6_k(block, codes, scales); return;
        case DType::IQ4_XS: decode_iq4_xs(block, codes, scales); return;
        default: decode_block32(layout.dtype, block, codes, scales, mins); return;
    }
}

void dequantize_gguf_blocks(const GgufBlockLayout &layout, const uint8_t *src, int64_t n_blocks, float *dst) {
    uint8_t codes[256];
    float scales[16], mins[16];
    const int zero = layout.code_bits == 4 ? 8 : 128;
    for (int64_t b = 0; b < n_blocks; ++b, src += layout.bytes, dst += layout.values) {
        decode_gguf_block(layout, src, codes, scales, mins);
        for (int64_t i = 0; i < layout.values; ++i) {
            const int64_t g = i / layout.group;
            // The same expressions as llama.cpp's dequantize_row_*, so the floats are identical.
            dst[i] = layout.asym ? scales[g] * static_cast<float>(codes[i]) + mins[g]
                                 : scales[g] * static_cast<float>(codes[i] - zero);
        }
    }
}

}  // namespace llmrt
