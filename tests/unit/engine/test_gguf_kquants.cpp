// llama.cpp's block types beyond Q8_0/Q4_0/Q4_1 (K-quants, Q5_0/Q5_1, IQ4_NL/IQ4_XS): decoded as
// llama.cpp's dequantize_row_* computes them (an independent transcription of its loops here,
// against the library's restructured decoder), and repacked into our int types without a single
// bit of difference. The real files of these types are checked by perplexity against llama.cpp
// (cli_gguf_quant_types).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/float16.h"
#include "formats/gguf_blocks.h"
#include "kernels/quant_format.h"
#include "kernels/weight_types.h"
#include "models/weights.h"

namespace llmrt {
namespace {

const int8_t kIq4[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

float h(const uint8_t *p) { return f16_to_f32(static_cast<uint16_t>(p[0] | (p[1] << 8))); }

void scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4);
    }
}

// One block of each type, following llama.cpp's dequantize_row_* loop by loop.
void reference_block(DType t, const uint8_t *x, float *y) {
    switch (t) {
        case DType::Q5_0:
        case DType::Q5_1: {
            const bool q51 = t == DType::Q5_1;
            const float d = h(x), m = q51 ? h(x + 2) : 0.0f;
            uint32_t qh;
            std::memcpy(&qh, x + (q51 ? 4 : 2), 4);
            const uint8_t *qs = x + (q51 ? 8 : 6);
            for (int j = 0; j < 16; ++j) {
                const uint8_t xh_0 = ((qh >> (j + 0)) << 4) & 0x10;
                const uint8_t xh_1 = ((qh >> (j + 12))) & 0x10;
                if (q51) {
                    y[j] = ((qs[j] & 0x0F) | xh_0) * d + m;
                    y[j + 16] = ((qs[j] >> 4) | xh_1) * d + m;
                } else {
                    y[j] = (((qs[j] & 0x0F) | xh_0) - 16) * d;
                    y[j + 16] = (((qs[j] >> 4) | xh_1) - 16) * d;
                }
            }
            return;
        }
        case DType::IQ4_NL: {
            const float d = h(x);
            for (int j = 0; j < 16; ++j) {
                y[j] = d * kIq4[x[2 + j] & 0xf];
                y[j + 16] = d * kIq4[x[2 + j] >> 4];
            }
            return;
        }
        case DType::Q2_K: {
            const float d = h(x + 80), min = h(x + 82);
            const uint8_t *q = x + 16;
            int is = 0;
            for (int n = 0; n < 256; n += 128) {
                int shift = 0;
                for (int j = 0; j < 4; ++j) {
                    uint8_t sc = x[is++];
                    float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                    for (int l = 0; l < 16; ++l) *y++ = dl * ((int8_t)((q[l] >> shift) & 3)) - ml;
                    sc = x[is++];
                    dl = d * (sc & 0xF), ml = min * (sc >> 4);
                    for (int l = 0; l < 16; ++l) *y++ = dl * ((int8_t)((q[l + 16] >> shift) & 3)) - ml;
                    shift += 2;
                }
                q += 32;
            }
            return;
        }
        case DType::Q3_K: {
            const uint32_t kmask1 = 0x03030303, kmask2 = 0x0f0f0f0f;
            uint32_t aux[4];
            const int8_t *scales = reinterpret_cast<const int8_t *>(aux);
            const float d_all = h(x + 108);
            const uint8_t *q = x + 32, *hm = x;
            uint8_t m = 1;
            std::memcpy(aux, x + 96, 12);
            const uint32_t tmp = aux[2];
            aux[2] = ((aux[0] >> 4) & kmask2) | (((tmp >> 4) & kmask1) << 4);
            aux[3] = ((aux[1] >> 4) & kmask2) | (((tmp >> 6) & kmask1) << 4);
            aux[0] = (aux[0] & kmask2) | (((tmp >> 0) & kmask1) << 4);
            aux[1] = (aux[1] & kmask2) | (((tmp >> 2) & kmask1) << 4);
            int is = 0;
            for (int n = 0; n < 256; n += 128) {
                int shift = 0;
                for (int j = 0; j < 4; ++j) {
                    float dl = d_all * (scales[is++] - 32);
                    for (int l = 0; l < 16; ++l)
                        *y++ = dl * ((int8_t)((q[l + 0] >> shift) & 3) - ((hm[l + 0] & m) ? 0 : 4));
                    dl = d_all * (scales[is++] - 32);
                    for (int l = 0; l < 16; ++l)
                        *y++ = dl * ((int8_t)((q[l + 16] >> shift) & 3) - ((hm[l + 16] & m) ? 0 : 4));
                    shift += 2;
                    m <<= 1;
                }
                q += 32;
            }
            return;
        }
        case DType::Q4_K:
        case DType::Q5_K: {
            const bool q5 = t == DType::Q5_K;
            const float d = h(x), min = h(x + 2);
            const uint8_t *sc_bytes = x + 4, *qh = x + 16, *q = x + (q5 ? 48 : 16);
            int is = 0;
            uint8_t sc, m, u1 = 1, u2 = 2;
            for (int j = 0; j < 256; j += 64) {
                scale_min_k4(is + 0, sc_bytes, &sc, &m);
                const float d1 = d * sc, m1 = min * m;
                scale_min_k4(is + 1, sc_bytes, &sc, &m);
                const float d2 = d * sc, m2 = min * m;
                for (int l = 0; l < 32; ++l) *y++ = d1 * ((q[l] & 0xF) + (q5 && (qh[l] & u1) ? 16 : 0)) - m1;
                for (int l = 0; l < 32; ++l) *y++ = d2 * ((q[l] >> 4) + (q5 && (qh[l] & u2) ? 16 : 0)) - m2;
                q += 32;
                is += 2;
                u1 <<= 2;
                u2 <<= 2;
            }
            return;
        }
        case DType::Q6_K: {
            const float d = h(x + 208);
            const uint8_t *ql = x, *qh = x + 128;
            const int8_t *sc = reinterpret_cast<const int8_t *>(x + 192);
            for (int n = 0; n < 256; n += 128) {
                for (int l = 0; l < 32; ++l) {
                    const int is = l / 16;
                    const int8_t q1 = (int8_t)((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                    const int8_t q2 = (int8_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                    const int8_t q3 = (int8_t)((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                    const int8_t q4 = (int8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                    y[l + 0] = d * sc[is + 0] * q1;
                    y[l + 32] = d * sc[is + 2] * q2;
                    y[l + 64] = d * sc[is + 4] * q3;
                    y[l + 96] = d * sc[is + 6] * q4;
                }
                y += 128;
                ql += 64;
                qh += 32;
                sc += 8;
            }
            return;
        }
        case DType::IQ4_XS: {
            const float d = h(x);
            const uint16_t scales_h = static_cast<uint16_t>(x[2] | (x[3] << 8));
            const uint8_t *scales_l = x + 4, *qs = x + 8;
            for (int ib = 0; ib < 8; ++ib) {
                const int ls = ((scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) | (((scales_h >> 2 * ib) & 3) << 4);
                const float dl = d * (ls - 32);
                for (int j = 0; j < 16; ++j) {
                    y[j + 0] = dl * kIq4[qs[j] & 0xf];
                    y[j + 16] = dl * kIq4[qs[j] >> 4];
                }
                y += 32;
                qs += 16;
            }
            return;
        }
        default: FAIL() << "no reference for " << dtype_name(t);
    }
}

// Random blocks whose fp16 fields are finite numbers of a weight's size (random bits elsewhere).
std::vector<uint8_t> random_blocks(const GgufBlockLayout &l, int64_t n_blocks, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> out(static_cast<size_t>(n_blocks) * l.bytes);
    for (auto &b : out) b = static_cast<uint8_t>(rng());
    std::uniform_real_distribution<float> scale(-0.05f, 0.05f);
    // Where each type keeps its fp16 numbers.
    std::vector<size_t> f16_at;
    switch (l.dtype) {
        case DType::Q4_1: case DType::Q5_1: case DType::Q4_K: case DType::Q5_K: f16_at = {0, 2}; break;
        case DType::Q2_K: f16_at = {80, 82}; break;
        case DType::Q3_K: f16_at = {108}; break;
        case DType::Q6_K: f16_at = {208}; break;
        default: f16_at = {0}; break;
    }
    for (int64_t b = 0; b < n_blocks; ++b)
        for (size_t at : f16_at) {
            const uint16_t v = f32_to_f16(scale(rng));
            out[b * l.bytes + at] = static_cast<uint8_t>(v & 0xFF);
            out[b * l.bytes + at + 1] = static_cast<uint8_t>(v >> 8);
        }
    return out;
}

uint32_t bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return u;
}

class KQuant : public ::testing::TestWithParam<DType> {};

TEST_P(KQuant, DecodesAsLlamaCppDequantizes) {
    const GgufBlockLayout &l = *gguf_block_layout(GetParam());
    const int64_t n_blocks = 64;
    const std::vector<uint8_t> src = random_blocks(l, n_blocks, 7);
    std::vector<float> got(static_cast<size_t>(n_blocks * l.values)), want(got.size());
    dequantize_gguf_blocks(l, src.data(), n_blocks, got.data());
    for (int64_t b = 0; b < n_blocks; ++b) reference_block(l.dtype, src.data() + b * l.bytes, want.data() + b * l.values);
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(bits(got[i]), bits(want[i])) << "value " << i;
}

TEST_P(KQuant, RepacksIntoOurIntTypeExactly) {
    const GgufBlockLayout &l = *gguf_block_layout(GetParam());
    for (int64_t cols : {l.values, 4 * l.values, int64_t{2048} + (l.values == 32 ? 32 : 0)}) {
        SCOPED_TRACE("cols=" + std::to_string(cols));
        const int64_t per_row = cols / l.values, rows = 3;
        const std::vector<uint8_t> src = random_blocks(l, rows * per_row, static_cast<uint32_t>(cols));
        const WeightType &type = weight_type_for(exact_int_format(l), ComputeDtype::Auto);
        std::vector<uint8_t> packed(type.row_bytes(cols));
        std::vector<uint8_t> codes(static_cast<size_t>(cols));
        std::vector<float> scales(static_cast<size_t>(cols / l.group)), mins(scales.size());
        std::vector<float> got(static_cast<size_t>(cols)), want(got.size());
        for (int64_t r = 0; r < rows; ++r) {
            const uint8_t *row = src.data() + r * per_row * l.bytes;
            for (int64_t b = 0; b < per_row; ++b) {
                const int64_t g0 = b * l.values / l.group;
                decode_gguf_block(l, row + b * l.bytes, codes.data() + b * l.values, scales.data() + g0,
                                  mins.data() + g0);
            }
            pack_int_codes_row(type, cols, codes.data(), scales.data(), mins.data(), packed.data());
            type.unpack_row(packed.data(), cols, got.data());
            dequantize_gguf_blocks(l, row, per_row, want.data());
            for (int64_t k = 0; k < cols; ++k) ASSERT_EQ(bits(got[k]), bits(want[k])) << "r=" << r << " k=" << k;
        }
    }
}

// The three types with a fast repack name their target twice (the layout table here, the fast
// path's contract in kernels): they must agree.
TEST(KQuantTable, FastRepackTargetsAreTheLayoutTable) {
    const std::pair<DType, GgufBlockType> fast[] = {
        {DType::Q8_0, GgufBlockType::Q8_0}, {DType::Q4_0, GgufBlockType::Q4_0}, {DType::Q4_1, GgufBlockType::Q4_1}};
    for (const auto &[dtype, block] : fast)
        EXPECT_EQ(exact_int_format(*gguf_block_layout(dtype)), gguf_block_format(block)) << dtype_name(dtype);
}

INSTANTIATE_TEST_SUITE_P(LlamaCppTypes, KQuant,
                         ::testing::Values(DType::Q5_0, DType::Q5_1, DType::IQ4_NL, DType::Q2_K, DType::Q3_K,
                                           DType::Q4_K, DType::Q5_K, DType::Q6_K, DType::IQ4_XS),
                         [](const auto &info) { return std::string(dtype_name(info.param)); });

}  // namespace
}  // namespace llmrt
