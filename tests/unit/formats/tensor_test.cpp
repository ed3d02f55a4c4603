#include "formats/tensor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "format_test_util.h"
#include "formats/metadata.h"

namespace llmrt {
namespace {

using test::throws_error;

float bits_to_float(uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

TEST(DType, NamesBlockSizesAndBytes) {
    EXPECT_STREQ(dtype_name(DType::F32), "F32");
    EXPECT_STREQ(dtype_name(DType::BF16), "BF16");
    EXPECT_STREQ(dtype_name(DType::Q4_1), "Q4_1");
    EXPECT_EQ(dtype_block_size(DType::F16), 1);
    EXPECT_EQ(dtype_block_size(DType::Q8_0), 32);
    EXPECT_EQ(dtype_bytes(DType::F32, 10), 40u);
    EXPECT_EQ(dtype_bytes(DType::F16, 10), 20u);
    EXPECT_EQ(dtype_bytes(DType::BF16, 3), 6u);
    EXPECT_EQ(dtype_bytes(DType::Q8_0, 64), 68u);
    EXPECT_EQ(dtype_bytes(DType::Q4_0, 64), 36u);
    EXPECT_EQ(dtype_bytes(DType::Q4_1, 32), 20u);
    EXPECT_EQ(dtype_bytes(DType::Q4_1, 0), 0u);
    EXPECT_TRUE(throws_error([] { dtype_bytes(DType::Q8_0, 33); }, Status::InvalidArgument, "Q8_0"));
    EXPECT_TRUE(throws_error([] { dtype_bytes(DType::F32, -1); }, Status::InvalidArgument, "F32"));
    size_t bytes = 0;
    EXPECT_FALSE(checked_dtype_bytes(DType::F32, std::numeric_limits<int64_t>::max(), bytes));
}

TEST(DType, PackedIsSizedByItsWeightType) {
    EXPECT_STREQ(dtype_name(DType::Packed), "packed");
    EXPECT_EQ(dtype_block_size(DType::Packed), 1);
    size_t bytes = 0;
    EXPECT_FALSE(checked_dtype_bytes(DType::Packed, 64, bytes));
    EXPECT_TRUE(throws_error([] { dtype_bytes(DType::Packed, 64); }, Status::InvalidArgument, "nbytes"));
    const std::vector<uint8_t> data(40);
    TensorView t;
    t.name = "w";
    t.dtype = DType::Packed;
    t.packed_type = "int4_g32_sym_fp32";
    t.shape = {2, 32};
    t.data = data.data();
    t.nbytes = data.size();
    std::vector<float> out(64);
    EXPECT_TRUE(throws_error([&] { tensor_to_f32(t, out.data()); }, Status::Unsupported,
                             "packed tensor 'w' (int4_g32_sym_fp32) must be read through its weight type"));
}

TEST(DType, ElementCounts) {
    TensorView t;
    t.shape = {512, 64};
    EXPECT_EQ(t.n_elements(), 512 * 64);
    t.shape = {};
    EXPECT_EQ(t.n_elements(), 1);
    t.shape = {3, 0, 5};
    EXPECT_EQ(t.n_elements(), 0);
    int64_t n = 0;
    EXPECT_FALSE(checked_element_count({int64_t{1} << 40, int64_t{1} << 40}, n));
    EXPECT_FALSE(checked_element_count({-1, 2}, n));
    EXPECT_EQ(shape_to_string({512, 64}), "[512, 64]");
}

TEST(HalfFloat, F16ToF32SpecialValues) {
    EXPECT_EQ(f16_to_f32(0x0000), 0.0f);
    EXPECT_TRUE(std::signbit(f16_to_f32(0x8000)));
    EXPECT_EQ(f16_to_f32(0x3C00), 1.0f);
    EXPECT_EQ(f16_to_f32(0xC000), -2.0f);
    EXPECT_EQ(f16_to_f32(0x7BFF), 65504.0f);
    EXPECT_EQ(f16_to_f32(0x0400), std::ldexp(1.0f, -14));     // smallest normal
    EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));     // smallest subnormal
    EXPECT_EQ(f16_to_f32(0x03FF), std::ldexp(1023.0f, -24));  // largest subnormal
    EXPECT_EQ(f16_to_f32(0x8001), -std::ldexp(1.0f, -24));
    EXPECT_EQ(f16_to_f32(0x7C00), std::numeric_limits<float>::infinity());
    EXPECT_EQ(f16_to_f32(0xFC00), -std::numeric_limits<float>::infinity());
    EXPECT_TRUE(std::isnan(f16_to_f32(0x7E00)));
    EXPECT_TRUE(std::isnan(f16_to_f32(0x7C01)));  // signalling NaN stays NaN, not infinity
}

TEST(HalfFloat, F16RoundTripsEveryValue) {
    for (uint32_t h = 0; h < 0x10000; ++h) {
        const float f = f16_to_f32(static_cast<uint16_t>(h));
        if (std::isnan(f)) {
            EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(f)))) << h;
        } else {
            EXPECT_EQ(f32_to_f16(f), h) << h;
        }
    }
}

TEST(HalfFloat, F32ToF16Rounding) {
    EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00);  // halfway to the next power: rounds to infinity
    EXPECT_EQ(f32_to_f16(65519.0f), 0x7BFF);
    EXPECT_EQ(f32_to_f16(1e10f), 0x7C00);
    EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);  // tie between 0 and 2^-24: even
    EXPECT_EQ(f32_to_f16(std::ldexp(1.5f, -25)), 0x0001);
    EXPECT_EQ(f32_to_f16(std::ldexp(3.0f, -25)), 0x0002);         // 1.5 x 2^-24 ties to even (2)
    EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);  // tie: stays even
    EXPECT_EQ(f32_to_f16(1.0f + std::ldexp(3.0f, -11)), 0x3C02);  // tie: rounds up to even
    EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
}

TEST(HalfFloat, BF16) {
    EXPECT_EQ(bf16_to_f32(0x3F80), 1.0f);
    EXPECT_EQ(bf16_to_f32(0xC040), -3.0f);
    EXPECT_EQ(bf16_to_f32(0x0001), bits_to_float(0x00010000));  // subnormal
    EXPECT_EQ(bf16_to_f32(0x7F80), std::numeric_limits<float>::infinity());
    EXPECT_TRUE(std::isnan(bf16_to_f32(0x7FC0)));
    EXPECT_TRUE(std::isnan(bf16_to_f32(0x7F81)));
    EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
    EXPECT_EQ(f32_to_bf16(bits_to_float(0x3F808000)), 0x3F80);  // tie: even
    EXPECT_EQ(f32_to_bf16(bits_to_float(0x3F818000)), 0x3F82);  // tie: even (up)
    EXPECT_EQ(f32_to_bf16(bits_to_float(0x3F808001)), 0x3F81);
    EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(bits_to_float(0x7F800001)))));
    EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
}

TensorView view(DType dtype, std::vector<int64_t> shape, const std::vector<uint8_t> &bytes) {
    TensorView t;
    t.name = "t";
    t.dtype = dtype;
    t.shape = std::move(shape);
    t.data = bytes.data();
    t.nbytes = bytes.size();
    return t;
}

TEST(TensorToF32, ConvertsF32F16AndBF16) {
    const std::vector<float> values = {1.0f, -2.5f, 0.0f, 65504.0f};
    std::vector<uint8_t> f32(16), f16, bf16;
    std::memcpy(f32.data(), values.data(), 16);
    for (float v : values) {
        const uint16_t h = f32_to_f16(v), b = f32_to_bf16(v);
        f16.insert(f16.end(), {static_cast<uint8_t>(h), static_cast<uint8_t>(h >> 8)});
        bf16.insert(bf16.end(), {static_cast<uint8_t>(b), static_cast<uint8_t>(b >> 8)});
    }
    std::vector<float> out(4);
    tensor_to_f32(view(DType::F32, {2, 2}, f32), out.data());
    EXPECT_EQ(out, values);
    tensor_to_f32(view(DType::F16, {4}, f16), out.data());
    EXPECT_EQ(out, values);
    tensor_to_f32(view(DType::BF16, {4}, bf16), out.data());
    EXPECT_EQ(out[0], 1.0f);
    EXPECT_EQ(out[1], -2.5f);
    EXPECT_EQ(out[3], 65536.0f);  // 65504 rounds to 65536 in bfloat16
}

TEST(TensorToF32, RejectsSizeMismatch) {
    const std::vector<uint8_t> bytes(10);
    std::vector<float> out(4);
    EXPECT_TRUE(throws_error([&] { tensor_to_f32(view(DType::F32, {4}, bytes), out.data()); },
                             Status::InvalidArgument, "'t'"));
}

void put_f16(std::vector<uint8_t> &b, float v) {
    const uint16_t h = f32_to_f16(v);
    b.push_back(static_cast<uint8_t>(h));
    b.push_back(static_cast<uint8_t>(h >> 8));
}

TEST(TensorToF32, DequantizesQ8_0) {
    std::vector<uint8_t> block;
    put_f16(block, 0.5f);
    for (int j = 0; j < 32; ++j) block.push_back(static_cast<uint8_t>(static_cast<int8_t>(j - 16)));
    std::vector<float> out(32);
    tensor_to_f32(view(DType::Q8_0, {32}, block), out.data());
    for (int j = 0; j < 32; ++j) EXPECT_EQ(out[j], 0.5f * static_cast<float>(j - 16)) << j;
}

TEST(TensorToF32, DequantizesQ4_0AndQ4_1) {
    // Byte j holds element j in its low nibble and element j + 16 in its high nibble.
    std::vector<uint8_t> q40, q41;
    put_f16(q40, 2.0f);
    put_f16(q41, 0.25f);
    put_f16(q41, -1.0f);
    for (int j = 0; j < 16; ++j) {
        const uint8_t byte = static_cast<uint8_t>(j | ((15 - j) << 4));
        q40.push_back(byte);
        q41.push_back(byte);
    }
    std::vector<float> out(32);
    tensor_to_f32(view(DType::Q4_0, {1, 32}, q40), out.data());
    for (int j = 0; j < 16; ++j) {
        EXPECT_EQ(out[j], 2.0f * static_cast<float>(j - 8));
        EXPECT_EQ(out[j + 16], 2.0f * static_cast<float>(15 - j - 8));
    }
    tensor_to_f32(view(DType::Q4_1, {32}, q41), out.data());
    for (int j = 0; j < 16; ++j) {
        EXPECT_EQ(out[j], 0.25f * static_cast<float>(j) - 1.0f);
        EXPECT_EQ(out[j + 16], 0.25f * static_cast<float>(15 - j) - 1.0f);
    }
}

TEST(MetaValue, NumberConversions) {
    EXPECT_EQ(MetaValue::from_int(-5).as_int(), -5);
    EXPECT_EQ(MetaValue::from_int(-5).as_double(), -5.0);
    EXPECT_EQ(MetaValue::from_uint(2048).as_int(), 2048);
    EXPECT_EQ(MetaValue::from_float(1e-5).as_double(), 1e-5);
    EXPECT_EQ(MetaValue::from_float(2.9).as_int(), 2);
    EXPECT_EQ(MetaValue::from_float(-2.9).as_int(), -2);
    EXPECT_TRUE(MetaValue::from_uint(1).is_number());
    EXPECT_FALSE(MetaValue::from_bool(true).is_number());
    EXPECT_TRUE(throws_error([] { MetaValue::from_uint(UINT64_MAX).as_int(); }, Status::Format, "int64"));
    EXPECT_TRUE(throws_error([] { MetaValue::from_float(1e30).as_int(); }, Status::Format, "int64"));
    EXPECT_TRUE(throws_error([] { MetaValue::from_float(NAN).as_int(); }, Status::Format, "int64"));
    EXPECT_TRUE(throws_error([] { MetaValue::from_string("x").as_int(); }, Status::Format, "string"));
    EXPECT_TRUE(throws_error([] { MetaValue::from_array({}).as_double(); }, Status::Format, "array"));
}

}  // namespace
}  // namespace llmrt
