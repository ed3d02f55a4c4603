// nf4/fp4/fp8: exact code tables, rounding, saturation, the row layout, pack/unpack error, and
// the weight types as the registry hands them out.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "kernels/cpu_features.h"
#include "kernels/lut_quant.h"
#include "kernels/weight_types.h"
#include "test_lut_util.h"

namespace llmrt {
namespace {

// The OCP value of an 8-bit float, computed from its fields independently of the library.
float ocp_fp8(int code, int exp_bits, int man_bits, int bias, bool ieee_specials) {
    const int e = (code >> man_bits) & ((1 << exp_bits) - 1);
    const int m = code & ((1 << man_bits) - 1);
    const float sign = (code & 0x80) ? -1.0f : 1.0f;
    const int e_max = (1 << exp_bits) - 1;
    if (ieee_specials && e == e_max) return m == 0 ? sign * INFINITY : NAN;
    if (!ieee_specials && e == e_max && m == (1 << man_bits) - 1) return NAN;
    const double frac = e == 0 ? m / double(1 << man_bits) : 1.0 + m / double(1 << man_bits);
    return sign * static_cast<float>(std::ldexp(frac, (e == 0 ? 1 : e) - bias));
}

void expect_same_value(float got, float want, int code) {
    if (std::isnan(want)) {
        EXPECT_TRUE(std::isnan(got)) << "code " << code;
    } else {
        EXPECT_EQ(got, want) << "code " << code;
        EXPECT_EQ(std::signbit(got), std::signbit(want)) << "code " << code;
    }
}

TEST(LutCodes, Nf4Levels) {
    const float want[16] = {-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
                            -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
                            0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
                            0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};
    const float *v = lut_code_values(QuantKind::NF4);
    for (int c = 0; c < 16; ++c) EXPECT_EQ(v[c], want[c]) << c;
    EXPECT_EQ(lut_zero_code(QuantKind::NF4), 7);
    EXPECT_EQ(lut_max_value(QuantKind::NF4), 1.0f);
}

TEST(LutCodes, Fp4E2M1) {
    const float mags[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    const float *v = lut_code_values(QuantKind::FP4);
    for (int c = 0; c < 8; ++c) {
        EXPECT_EQ(v[c], mags[c]) << c;
        EXPECT_EQ(v[c + 8], -mags[c]) << c + 8;
    }
    EXPECT_EQ(lut_max_value(QuantKind::FP4), 6.0f);
}

TEST(LutCodes, EveryFp8E4M3CodeIsTheOcpValue) {
    const float *v = lut_code_values(QuantKind::FP8_E4M3);
    for (int c = 0; c < 256; ++c) expect_same_value(v[c], ocp_fp8(c, 4, 3, 7, false), c);
    EXPECT_EQ(v[0x7e], 448.0f);
    EXPECT_EQ(v[0xfe], -448.0f);
    EXPECT_EQ(v[0x01], std::ldexp(1.0f, -9));  // smallest subnormal
    EXPECT_EQ(v[0x08], std::ldexp(1.0f, -6));  // smallest normal
    EXPECT_EQ(v[0x38], 1.0f);
    EXPECT_TRUE(std::isnan(v[0x7f]) && std::isnan(v[0xff]));
    int nans = 0;
    for (int c = 0; c < 256; ++c) nans += std::isnan(v[c]) ? 1 : 0;
    EXPECT_EQ(nans, 2);  // no inf, one NaN per sign
    EXPECT_EQ(lut_max_value(QuantKind::FP8_E4M3), 448.0f);
}

TEST(LutCodes, EveryFp8E5M2CodeIsTheOcpValue) {
    const float *v = lut_code_values(QuantKind::FP8_E5M2);
    for (int c = 0; c < 256; ++c) expect_same_value(v[c], ocp_fp8(c, 5, 2, 15, true), c);
    EXPECT_EQ(v[0x7b], 57344.0f);
    EXPECT_EQ(v[0x01], std::ldexp(1.0f, -16));
    EXPECT_EQ(v[0x3c], 1.0f);
    EXPECT_EQ(v[0x7c], INFINITY);
    EXPECT_EQ(v[0xfc], -INFINITY);
    for (int c : {0x7d, 0x7e, 0x7f, 0xfd, 0xfe, 0xff}) EXPECT_TRUE(std::isnan(v[c])) << c;
    EXPECT_EQ(lut_max_value(QuantKind::FP8_E5M2), 57344.0f);
}

int code_count(QuantKind k) { return lut_is_4bit(k) ? 16 : 256; }

TEST(LutEncode, EveryFiniteValueEncodesToItsCode) {
    for (QuantKind k : test::kLutKinds) {
        const float *v = lut_code_values(k);
        for (int c = 0; c < code_count(k); ++c) {
            if (!std::isfinite(v[c])) continue;
            if (v[c] == 0.0f) {
                EXPECT_EQ(lut_encode(k, v[c]), lut_zero_code(k)) << quant_kind_name(k) << " code " << c;
                continue;
            }
            EXPECT_EQ(lut_encode(k, v[c]), c) << quant_kind_name(k) << " code " << c;
        }
    }
}

TEST(LutEncode, NearestWithTiesToEven) {
    // fp4: halfway points go to the even mantissa.
    const float fp4_in[] = {0.25f, 0.26f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f, 5.01f, -0.75f, -5.0f};
    const int fp4_code[] = {0, 1, 2, 2, 4, 4, 6, 6, 7, 0xa, 0xe};
    for (size_t i = 0; i < std::size(fp4_in); ++i) EXPECT_EQ(lut_encode(QuantKind::FP4, fp4_in[i]), fp4_code[i]) << fp4_in[i];
    // e4m3 around 1.0 (0x38, step 1/8) and between binades.
    EXPECT_EQ(lut_encode(QuantKind::FP8_E4M3, 1.0625f), 0x38);
    EXPECT_EQ(lut_encode(QuantKind::FP8_E4M3, 1.1875f), 0x3a);
    EXPECT_EQ(lut_encode(QuantKind::FP8_E4M3, 1.07f), 0x39);
    EXPECT_EQ(lut_encode(QuantKind::FP8_E4M3, 1.9375f), 0x40);  // 1.875 | 2.0 halfway
    EXPECT_EQ(lut_encode(QuantKind::FP8_E4M3, std::ldexp(1.0f, -10)), 0x00);  // half the smallest subnormal
    EXPECT_EQ(lut_encode(QuantKind::FP8_E4M3, std::ldexp(3.0f, -10)), 0x02);  // 1.5 subnormal steps
    EXPECT_EQ(lut_encode(QuantKind::FP8_E4M3, 432.0f), 0x7e);  // 416 | 448 halfway: 448 has mantissa 6
    // e5m2 around 1.0 (0x3c, step 1/4).
    EXPECT_EQ(lut_encode(QuantKind::FP8_E5M2, 1.125f), 0x3c);
    EXPECT_EQ(lut_encode(QuantKind::FP8_E5M2, 1.375f), 0x3e);
    // nf4: nearest level.
    EXPECT_EQ(lut_encode(QuantKind::NF4, 0.03f), 7);
    EXPECT_EQ(lut_encode(QuantKind::NF4, 0.05f), 8);
    EXPECT_EQ(lut_encode(QuantKind::NF4, -0.9f), 0);
}

// The nearest finite code by exhaustive search; a tie goes to the even code.
int brute_force_code(QuantKind k, float v) {
    const float *values = lut_code_values(k);
    int best = -1;
    double best_d = 0.0;
    for (int c = 0; c < code_count(k); ++c) {
        if (!std::isfinite(values[c])) continue;
        const double d = std::fabs(double(values[c]) - v);
        if (best < 0 || d < best_d || (d == best_d && c % 2 == 0 && values[c] != values[best])) {
            best = c;
            best_d = d;
        }
    }
    return values[best] == 0.0f ? lut_zero_code(k) : best;
}

TEST(LutEncode, MatchesExhaustiveSearch) {
    std::mt19937 rng(17);
    for (QuantKind k : test::kLutKinds) {
        const float max = lut_max_value(k);
        std::uniform_real_distribution<float> log_mag(std::log2(max) - 20.0f, std::log2(max) + 0.5f);
        for (int i = 0; i < 20000; ++i) {
            const float v = (i % 2 ? -1.0f : 1.0f) * std::exp2(log_mag(rng));
            ASSERT_EQ(lut_encode(k, v), brute_force_code(k, v)) << quant_kind_name(k) << " " << v;
        }
        // Every midpoint between neighbouring codes, where ties are decided.
        const float *values = lut_code_values(k);
        for (int c = 0; c + 1 < code_count(k); ++c) {
            if (!std::isfinite(values[c]) || !std::isfinite(values[c + 1])) continue;
            const float mid = 0.5f * (values[c] + values[c + 1]);
            ASSERT_EQ(lut_encode(k, mid), brute_force_code(k, mid)) << quant_kind_name(k) << " " << mid;
        }
    }
}

TEST(LutEncode, SaturatesAndNeverGivesSpecials) {
    struct Ends {
        QuantKind kind;
        int max_code, min_code;
    };
    const Ends ends[] = {{QuantKind::NF4, 15, 0}, {QuantKind::FP4, 7, 15}, {QuantKind::FP8_E4M3, 0x7e, 0xfe},
                         {QuantKind::FP8_E5M2, 0x7b, 0xfb}};
    for (const Ends &e : ends) {
        const float big = lut_max_value(e.kind);
        for (float v : {big * 1.01f, big * 1000.0f, 3e38f, INFINITY}) {
            EXPECT_EQ(lut_encode(e.kind, v), e.max_code) << quant_kind_name(e.kind) << " " << v;
            EXPECT_EQ(lut_encode(e.kind, -v), e.min_code) << quant_kind_name(e.kind) << " " << -v;
        }
        EXPECT_EQ(lut_encode(e.kind, NAN), lut_zero_code(e.kind));
        EXPECT_EQ(lut_encode(e.kind, -0.0f), lut_zero_code(e.kind));
        std::mt19937 rng(9);
        std::uniform_real_distribution<float> exponent(-30.0f, 30.0f);
        for (int i = 0; i < 2000; ++i) {
            const float v = (i % 2 ? -1.0f : 1.0f) * std::exp2(exponent(rng));
            EXPECT_TRUE(std::isfinite(lut_code_values(e.kind)[lut_encode(e.kind, v)])) << v;
        }
    }
}

TEST(LutLayout, RowBytes) {
    using test::lut_format;
    const QuantFormat nf4_g64 = lut_format(QuantKind::NF4, 64, ScaleDtype::F32);
    EXPECT_EQ(lut_layout(nf4_g64, 2048).row_bytes, 1024u + 32 * 4);
    EXPECT_EQ(lut_layout(nf4_g64, 5632).row_bytes, 2816u + 88 * 4);
    const QuantFormat grow = lut_format(QuantKind::NF4, -1, ScaleDtype::BF16);
    EXPECT_EQ(lut_layout(grow, 172).code_bytes, 96u);  // 192 padded values
    EXPECT_EQ(lut_layout(grow, 172).n_groups, 1);
    EXPECT_EQ(lut_layout(grow, 172).row_bytes, 128u);
    const QuantFormat e4m3 = lut_format(QuantKind::FP8_E4M3, 128, ScaleDtype::BF16);
    EXPECT_EQ(lut_layout(e4m3, 5632).row_bytes, 5632u + 44 * 2 + 8);  // padded to 32 bytes
    EXPECT_EQ(lut_layout(lut_format(QuantKind::FP4, 32, ScaleDtype::F32), 172).n_groups, 6);
    EXPECT_EQ(lut_layout(e4m3, 0).row_bytes, 0u);
    for (const QuantFormat &f : test::all_lut_formats())
        for (int64_t cols : {1, 31, 64, 100, 172, 4097}) {
            const LutLayout l = lut_layout(f, cols);
            EXPECT_EQ(l.row_bytes % kLutRowAlign, 0u);
            EXPECT_EQ(l.padded_cols % kLutColAlign, 0);
            EXPECT_GE(l.padded_cols, cols);
        }
}

// fp4 values with amax 6 pack with scale 1, so the nibble order is visible in the bytes.
TEST(LutLayout, NibbleOrderAndScales) {
    const QuantFormat f = test::lut_format(QuantKind::FP4, 32, ScaleDtype::F32);
    const LutLayout l = lut_layout(f, 40);
    std::vector<float> src(40);
    for (int c = 0; c < 40; ++c) src[c] = lut_code_values(QuantKind::FP4)[c % 16];
    src[7] = 6.0f;
    src[39] = -6.0f;
    std::vector<uint8_t> row(l.row_bytes);
    lut_pack_row(l, src.data(), row.data());
    for (int j = 0; j < 16; ++j) {
        const int lo = lut_encode(QuantKind::FP4, src[j]), hi = lut_encode(QuantKind::FP4, src[16 + j]);
        EXPECT_EQ(row[j], lo | (hi << 4)) << j;
    }
    EXPECT_EQ(row[16], lut_encode(QuantKind::FP4, src[32]));  // second block, value 32; 48 is padding (0)
    EXPECT_EQ(lut_scale_at(l, row.data(), 0), 1.0f);
    EXPECT_EQ(lut_scale_at(l, row.data(), 1), 1.0f);
    EXPECT_EQ(l.code_bytes, 32u);
    std::vector<float> back(40);
    lut_unpack_range(l, row.data(), 0, 40, back.data());
    for (int c = 0; c < 40; ++c) EXPECT_EQ(back[c], src[c] == 0.0f ? 0.0f : src[c]) << c;
}

TEST(LutPack, ZeroGroupsAndExtremes) {
    for (const QuantFormat &f : test::all_lut_formats()) {
        if (f.group_size != 32) continue;
        SCOPED_TRACE(quant_format_name(f));
        // The extremes each scale type represents: fp16 scales span far less than fp32/bf16.
        const bool f16 = f.scale == ScaleDtype::F16;
        // (tiny: 16 * tiny / 57344, e5m2's largest value, is still a normal fp16 number)
        const float huge = f16 ? 1e4f : 1e30f, tiny = f16 ? 0.25f : 1e-30f;
        const LutLayout l = lut_layout(f, 96);
        std::vector<float> src(96, 0.0f);  // group 0 stays zero
        for (int c = 32; c < 64; ++c) src[c] = (c % 2 ? 1e-3f : -1e-3f) * c;
        src[40] = huge;  // a huge outlier: saturates nothing, the scale follows it
        for (int c = 64; c < 96; ++c) src[c] = tiny * (c - 80);  // tiny values
        std::vector<uint8_t> row(l.row_bytes);
        lut_pack_row(l, src.data(), row.data());
        std::vector<float> back(96);
        lut_unpack_range(l, row.data(), 0, 96, back.data());
        for (int c = 0; c < 32; ++c) EXPECT_EQ(back[c], 0.0f) << c;
        const float tol = f.scale == ScaleDtype::BF16 ? 1.0f / 128 : f16 ? 1.0f / 1024 : 1e-6f;
        EXPECT_NEAR(back[40], huge, tol * huge);  // the group maximum is represented (nearly) exactly
        for (float v : back) EXPECT_TRUE(std::isfinite(v));
        EXPECT_NEAR(back[64], -16 * tiny, tol * 16 * tiny);
    }
}

TEST(LutPack, Fp16ScalesSaturateInsteadOfOverflowing) {
    for (const QuantFormat &f : test::all_lut_formats()) {
        if (f.scale != ScaleDtype::F16 || f.group_size != 32) continue;
        SCOPED_TRACE(quant_format_name(f));
        const LutLayout l = lut_layout(f, 32);
        std::vector<float> src(32, 1.0f);
        src[3] = 1e30f;
        std::vector<uint8_t> row(l.row_bytes);
        lut_pack_row(l, src.data(), row.data());
        std::vector<float> back(32);
        lut_unpack_range(l, row.data(), 0, 32, back.data());
        for (float v : back) EXPECT_TRUE(std::isfinite(v));
        EXPECT_GT(back[3], 1e4f);  // clipped to the largest value the fp16 scale reaches
    }
}

// Relative Frobenius error of a Gaussian matrix (64 x 4096, rows of different spread) after
// pack/unpack, against a bound per type: the measured value (fp32 scales; bf16 scales within
// 0.0001 of it) plus ~8% headroom. Larger groups lose more: the amax grows, and fp8's small
// values fall into the subnormals.
struct ErrorBound {
    QuantKind kind;
    int32_t group;
    double measured, bound;
};
const ErrorBound kErrorBounds[] = {
    {QuantKind::NF4, 32, 0.0874, 0.095},       {QuantKind::NF4, 64, 0.0921, 0.100},
    {QuantKind::NF4, 128, 0.0956, 0.104},      {QuantKind::NF4, -1, 0.1110, 0.120},
    {QuantKind::FP4, 32, 0.1012, 0.110},       {QuantKind::FP4, 64, 0.1059, 0.115},
    {QuantKind::FP4, 128, 0.1086, 0.118},      {QuantKind::FP4, -1, 0.1194, 0.130},
    {QuantKind::FP8_E4M3, 32, 0.0240, 0.026},  {QuantKind::FP8_E4M3, 64, 0.0250, 0.027},
    {QuantKind::FP8_E4M3, 128, 0.0258, 0.028}, {QuantKind::FP8_E4M3, -1, 0.0265, 0.029},
    {QuantKind::FP8_E5M2, 32, 0.0478, 0.052},  {QuantKind::FP8_E5M2, 64, 0.0500, 0.054},
    {QuantKind::FP8_E5M2, 128, 0.0513, 0.056}, {QuantKind::FP8_E5M2, -1, 0.0527, 0.057},
};

TEST(LutPack, RoundTripErrorWithinBounds) {
    const int64_t rows = 64, cols = 4096;
    const std::vector<float> src = test::gaussian_rows(rows, cols, 42);
    for (const ErrorBound &e : kErrorBounds)
        for (ScaleDtype s : test::kLutScales) {
            const QuantFormat f = test::lut_format(e.kind, e.group, s);
            const LutLayout l = lut_layout(f, cols);
            std::vector<uint8_t> row(l.row_bytes);
            std::vector<float> back(cols);
            double err = 0.0, norm = 0.0;
            for (int64_t r = 0; r < rows; ++r) {
                const float *x = src.data() + r * cols;
                lut_pack_row(l, x, row.data());
                lut_unpack_range(l, row.data(), 0, cols, back.data());
                for (int64_t c = 0; c < cols; ++c) {
                    err += (double(back[c]) - x[c]) * (double(back[c]) - x[c]);
                    norm += double(x[c]) * x[c];
                }
            }
            const double rel = std::sqrt(err / norm);
            EXPECT_LT(rel, e.bound) << quant_format_name(f);
        }
}

TEST(LutWeightType, FoundByNameWithItsCompute) {
    const bool bf16 = selected_isa() == Isa::Avx512 && cpu_features().avx512bf16;
    for (const QuantFormat &f : test::all_lut_formats()) {
        const std::string name = quant_format_name(f);
        const WeightType *t = find_weight_type(name, ComputeDtype::F32);
        ASSERT_NE(t, nullptr) << name;
        EXPECT_EQ(t->name(), name);
        ASSERT_NE(t->format(), nullptr);
        EXPECT_EQ(*t->format(), f);
        EXPECT_EQ(t->compute(), ComputeDtype::F32);
        EXPECT_EQ(t->row_bytes(172), lut_layout(f, 172).row_bytes);
        const ComputeDtype fast = bf16 ? ComputeDtype::BF16 : ComputeDtype::F32;
        EXPECT_EQ(find_weight_type(name, ComputeDtype::BF16)->compute(), fast) << name;
        EXPECT_EQ(find_weight_type(name, ComputeDtype::Int8)->compute(), fast) << name;
        EXPECT_EQ(find_weight_type(name, ComputeDtype::Auto)->compute(), fast) << name;
    }
    EXPECT_EQ(find_weight_type("nf4_g64_asym_fp32", ComputeDtype::F32), nullptr);
    EXPECT_EQ(find_weight_type("nf5_g64_sym_fp32", ComputeDtype::F32), nullptr);
}

TEST(LutWeightType, PackUnpackThroughTheType) {
    const WeightType *t = find_weight_type("fp8_e4m3_g32_sym_bf16", ComputeDtype::F32);
    ASSERT_NE(t, nullptr);
    const std::vector<float> src = test::gaussian_rows(1, 172, 3);
    std::vector<uint8_t> row(t->row_bytes(172));
    t->pack_row(src.data(), 172, row.data());
    std::vector<float> back(172);
    t->unpack_row(row.data(), 172, back.data());
    for (int c = 0; c < 172; ++c) EXPECT_NEAR(back[c], src[c], 0.07 * std::fabs(src[c]) + 1e-6) << c;
}

}  // namespace
}  // namespace llmrt
