// The int8/int4 weight types' formats: round-trip error bounds, layout sizes, exact values,
// llama.cpp block repacking, lookup by name, compute type fallback, and matmul() through the pool.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "core/error.h"
#include "core/thread_pool.h"
#include "int_test_util.h"
#include "kernels/cpu_features.h"
#include "kernels/kernel_table.h"
#include "kernels/matmul.h"
#include "kernels/quant_families.h"
#include "test_util.h"

namespace llmrt {
namespace {

QuantFormat fmt(const std::string &name) {
    const auto f = parse_quant_format(name);
    EXPECT_TRUE(f.has_value()) << name;
    return f.value_or(QuantFormat{});
}

// Relative Frobenius error of random Gaussian matrices (measured: int8 0.46-0.88%, int4 g32
// 7.7-8.6%, g64 8.8-9.5%, g128 9.6-10.4%, row 10.4-14.2%; bf16 scales add < 0.02 points).
double error_bound(const QuantFormat &f) {
    const int i = f.group_size == 32 ? 0 : f.group_size == 64 ? 1 : f.group_size == 128 ? 2 : 3;
    const double int8[] = {0.006, 0.0066, 0.0072, 0.0097};
    const double int4[] = {0.095, 0.105, 0.115, 0.155};
    return f.kind == QuantKind::Int8 ? int8[i] : int4[i];
}

TEST(IntFormat, RoundTripErrorWithinBound) {
    for (const QuantFormat &f : test::all_int_formats())
        for (int64_t cols : {4096, 172}) {
            const int64_t rows = cols == 4096 ? 16 : 200;
            const test::IntWeights w(f, rows, cols, 11);
            double num = 0.0, den = 0.0;
            for (int64_t r = 0; r < rows; ++r) {
                const std::vector<float> out = w.unpacked_row(r);
                for (int64_t c = 0; c < cols; ++c) {
                    const double x = w.source[r * cols + c];
                    num += (out[c] - x) * (out[c] - x);
                    den += x * x;
                }
            }
            EXPECT_LT(std::sqrt(num / den), error_bound(f)) << quant_format_name(f) << " cols=" << cols;
        }
}

TEST(IntFormat, RowBytesFollowTheLayout) {
    // int4 g32 fp32: per 16 groups 64 bytes of scales + 256 bytes of codes.
    const WeightType &q4 = weight_type_for(fmt("int4_g32_sym_fp32"), ComputeDtype::F32);
    EXPECT_EQ(q4.row_bytes(2048), 4u * 320u);
    EXPECT_EQ(q4.row_bytes(5632), 11u * 320u);
    EXPECT_EQ(q4.row_bytes(172), 6u * 4u + 6u * 16u);  // 6 groups, the last one short
    EXPECT_EQ(q4.row_bytes(64), 2u * 4u + 2u * 16u);
    // Whole-row groups: codes in blocks of 32, then scale and min.
    const WeightType &q8 = weight_type_for(fmt("int8_grow_asym_bf16"), ComputeDtype::F32);
    EXPECT_EQ(q8.row_bytes(64), 64u + 4u);
    EXPECT_EQ(q8.row_bytes(172), 192u + 4u);
    // A group at least as long as the row is a whole-row group.
    EXPECT_EQ(weight_type_for(fmt("int8_g128_sym_fp32"), ComputeDtype::F32).row_bytes(100), 128u + 4u);
    EXPECT_EQ(weight_type_for(fmt("int8_g128_sym_fp32"), ComputeDtype::F32).row_bytes(0), 4u);
    for (const QuantFormat &f : test::all_int_formats())
        EXPECT_EQ(weight_type_for(f, ComputeDtype::F32).row_bytes(4097), weight_type_for(f, ComputeDtype::Auto).row_bytes(4097));
}

// Packing writes every byte (padding included) the same way; unpacking writes exactly cols values.
TEST(IntFormat, PackIsDeterministicAndUnpackStaysInRow) {
    for (const QuantFormat &f : test::all_int_formats())
        for (int64_t cols : {1, 7, 33, 172, 200}) {
            const WeightType &t = weight_type_for(f, ComputeDtype::F32);
            const std::vector<float> src = test::gaussian_floats(static_cast<size_t>(cols), 3);
            std::vector<uint8_t> a(t.row_bytes(cols), 0x00), b(t.row_bytes(cols), 0xff);
            t.pack_row(src.data(), cols, a.data());
            t.pack_row(src.data(), cols, b.data());
            EXPECT_EQ(a, b) << quant_format_name(f) << " cols=" << cols;
            std::vector<float> out(static_cast<size_t>(cols) + 8, -7.0f);
            t.unpack_row(a.data(), cols, out.data());
            for (size_t k = static_cast<size_t>(cols); k < out.size(); ++k) EXPECT_EQ(out[k], -7.0f);
        }
}

TEST(IntFormat, ZeroAndConstantRows) {
    for (const QuantFormat &f : test::all_int_formats()) {
        const WeightType &t = weight_type_for(f, ComputeDtype::F32);
        const int64_t cols = 100;
        std::vector<uint8_t> packed(t.row_bytes(cols));
        std::vector<float> out(cols, 1.0f);
        const std::vector<float> zeros(cols, 0.0f);
        t.pack_row(zeros.data(), cols, packed.data());
        t.unpack_row(packed.data(), cols, out.data());
        EXPECT_EQ(out, zeros) << quant_format_name(f);
        // Exact where -2 is on the grid: int4 sym (code 0 = -8 * 0.25), asym (the min). int8 sym's
        // 127 * (2 / 127) is not, by one rounding.
        const std::vector<float> twos(cols, -2.0f);
        t.pack_row(twos.data(), cols, packed.data());
        t.unpack_row(packed.data(), cols, out.data());
        if (f.kind == QuantKind::Int8 && !f.asym) {
            // the scale rounded to bf16 or fp16
            const float tol = f.scale == ScaleDtype::BF16 ? 1e-3f : f.scale == ScaleDtype::F16 ? 2e-3f : 2e-6f;
            for (float v : out) EXPECT_NEAR(v, -2.0f, tol) << quant_format_name(f);
        } else {
            EXPECT_EQ(out, twos) << quant_format_name(f);
        }
    }
}

// Values already on the grid (scale a power of two, every group reaching its extreme code)
// survive pack + unpack exactly: llama.cpp's Q4_0 (q - 8) * d and Q4_1 q * d + m included.
TEST(IntFormat, GridValuesAreExact) {
    for (const QuantFormat &f : test::all_int_formats()) {
        const int64_t cols = 200;
        const IntGeom g = int_geom(f, cols);
        const int64_t group = g.row_scale ? cols : f.group_size;
        const float d = 0.0625f, m = -1.5f;
        std::vector<float> src(cols);
        for (int64_t c = 0; c < cols; ++c) {
            const int q = static_cast<int>((c * 7 + 3) % (g.qmax + 1));
            const bool first = c % group == 0;
            if (f.asym) {
                src[c] = (c % group == 1 ? static_cast<float>(g.qmax) : first ? 0.0f : static_cast<float>(q)) * d + m;
            } else if (g.int4) {
                src[c] = static_cast<float>(first ? -8 : q - 8) * d;  // code 0: the largest magnitude
            } else {
                src[c] = static_cast<float>(first ? 127 : std::max(q - 128, -127)) * d;
            }
        }
        const WeightType &t = weight_type_for(f, ComputeDtype::F32);
        std::vector<uint8_t> packed(t.row_bytes(cols));
        std::vector<float> out(cols);
        t.pack_row(src.data(), cols, packed.data());
        t.unpack_row(packed.data(), cols, out.data());
        for (int64_t c = 0; c < cols; ++c) ASSERT_EQ(out[c], src[c]) << quant_format_name(f) << " c=" << c;
    }
}

// ---- llama.cpp blocks ----

uint32_t bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}

// IEEE half -> float, written independently of the library's conversion.
float half(uint16_t h) {
    const int sign = h >> 15, exp = (h >> 10) & 31, mant = h & 1023;
    const double v = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(1024 + mant, exp - 25);
    return static_cast<float>(sign ? -v : v);
}

// Scales of every kind: normal, negative, tiny subnormal, large.
const uint16_t kHalves[] = {0x3c00, 0xb800, 0x2e66, 0x0001, 0x03ff, 0x7bff, 0x1234, 0xa5a5};

struct GgufCase {
    GgufBlockType type;
    size_t block_bytes;
};

std::vector<uint8_t> random_blocks(const GgufCase &c, int64_t n_blocks, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> out(c.block_bytes * static_cast<size_t>(n_blocks));
    for (auto &b : out) b = static_cast<uint8_t>(rng());
    for (int64_t b = 0; b < n_blocks; ++b) {
        uint8_t *blk = out.data() + b * c.block_bytes;
        const uint16_t d = kHalves[b % 8], m = kHalves[(b + 3) % 8];
        std::memcpy(blk, &d, 2);
        if (c.type == GgufBlockType::Q4_1) std::memcpy(blk + 2, &m, 2);
    }
    return out;
}

// llama.cpp's dequantize_row_q8_0 / q4_0 / q4_1 for one block.
void llama_dequantize(GgufBlockType type, const uint8_t *blk, float *out) {
    uint16_t dh, mh;
    std::memcpy(&dh, blk, 2);
    const float d = half(dh);
    if (type == GgufBlockType::Q8_0) {
        for (int j = 0; j < 32; ++j) out[j] = static_cast<float>(static_cast<int8_t>(blk[2 + j])) * d;
    } else if (type == GgufBlockType::Q4_0) {
        for (int j = 0; j < 16; ++j) {
            out[j] = static_cast<float>((blk[2 + j] & 0x0f) - 8) * d;
            out[j + 16] = static_cast<float>((blk[2 + j] >> 4) - 8) * d;
        }
    } else {
        std::memcpy(&mh, blk + 2, 2);
        const float m = half(mh);
        for (int j = 0; j < 16; ++j) {
            out[j] = static_cast<float>(blk[4 + j] & 0x0f) * d + m;
            out[j + 16] = static_cast<float>(blk[4 + j] >> 4) * d + m;
        }
    }
}

TEST(IntGguf, RepackReproducesLlamaCppValuesExactly) {
    const GgufCase kCases[] = {{GgufBlockType::Q8_0, 34}, {GgufBlockType::Q4_0, 18}, {GgufBlockType::Q4_1, 20}};
    for (const GgufCase &c : kCases)
        for (int64_t cols : {32, 96, 544, 2048}) {
            SCOPED_TRACE("type=" + std::to_string(static_cast<int>(c.type)) + " cols=" + std::to_string(cols));
            const int64_t rows = 3, per_row = cols / 32;
            const std::vector<uint8_t> src = random_blocks(c, rows * per_row, static_cast<uint32_t>(cols));
            const WeightType &t = weight_type_for(gguf_block_format(c.type), ComputeDtype::Auto);
            std::vector<uint8_t> dst(t.row_bytes(cols) * rows), over_garbage(dst.size(), 0xab);
            repack_gguf_rows(c.type, src.data(), rows, cols, t, dst.data());
            repack_gguf_rows(c.type, src.data(), rows, cols, t, over_garbage.data());
            EXPECT_EQ(over_garbage, dst);  // every byte is written: no stale memory in a row
            for (int64_t r = 0; r < rows; ++r) {
                std::vector<float> got(cols), want(cols);
                t.unpack_row(dst.data() + r * t.row_bytes(cols), cols, got.data());
                for (int64_t b = 0; b < per_row; ++b)
                    llama_dequantize(c.type, src.data() + (r * per_row + b) * c.block_bytes, want.data() + b * 32);
                for (int64_t k = 0; k < cols; ++k) ASSERT_EQ(bits(got[k]), bits(want[k])) << "r=" << r << " k=" << k;
            }
        }
}

// Exporting (unpack_gguf_rows) gives back the file's blocks byte for byte, for every layout of
// superblocks (one partial, several full, a full and a partial).
TEST(IntGguf, UnpackIsTheInverseOfRepack) {
    const GgufCase kCases[] = {{GgufBlockType::Q8_0, 34}, {GgufBlockType::Q4_0, 18}, {GgufBlockType::Q4_1, 20}};
    for (const GgufCase &c : kCases)
        for (int64_t cols : {32, 96, 544, 2048}) {
            SCOPED_TRACE("type=" + std::to_string(static_cast<int>(c.type)) + " cols=" + std::to_string(cols));
            const int64_t rows = 3;
            const std::vector<uint8_t> src = random_blocks(c, rows * (cols / 32), static_cast<uint32_t>(cols) + 7);
            const WeightType &t = weight_type_for(gguf_block_format(c.type), ComputeDtype::Auto);
            std::vector<uint8_t> packed(t.row_bytes(cols) * rows), back(src.size(), 0xab);
            repack_gguf_rows(c.type, src.data(), rows, cols, t, packed.data());
            unpack_gguf_rows(c.type, t, packed.data(), rows, cols, back.data());
            EXPECT_EQ(back, src);
            ASSERT_TRUE(gguf_block_type_for(gguf_block_format(c.type)).has_value());
            EXPECT_EQ(*gguf_block_type_for(gguf_block_format(c.type)), c.type);
        }
    QuantFormat g64 = gguf_block_format(GgufBlockType::Q4_0);
    g64.group_size = 64;
    EXPECT_FALSE(gguf_block_type_for(g64).has_value());
    std::vector<uint8_t> dst(1024);
    const WeightType &q40 = weight_type_for(gguf_block_format(GgufBlockType::Q4_0), ComputeDtype::F32);
    EXPECT_THROW(unpack_gguf_rows(GgufBlockType::Q4_1, q40, dst.data(), 1, 64, dst.data()), Error);
}

// The codes, scales and mins of a packed row are what pack_int_codes_row was given.
TEST(IntCodes, UnpackIsTheInverseOfPack) {
    for (bool asym : {false, true})
        for (int64_t cols : {64, 200}) {
            QuantFormat f;
            f.kind = QuantKind::Int4;
            f.group_size = 32;
            f.asym = asym;
            f.scale = ScaleDtype::F16;
            const WeightType &t = weight_type_for(f, ComputeDtype::Auto);
            const int64_t groups = (cols + 31) / 32;
            std::mt19937 rng(static_cast<uint32_t>(cols));
            std::vector<uint8_t> codes(static_cast<size_t>(groups * 32), 0);
            for (int64_t k = 0; k < cols; ++k) codes[static_cast<size_t>(k)] = static_cast<uint8_t>(rng() % 16);
            std::vector<float> scales(static_cast<size_t>(groups)), mins(scales.size());
            for (int64_t g = 0; g < groups; ++g) {
                scales[static_cast<size_t>(g)] = 0.125f * static_cast<float>(g + 1);
                mins[static_cast<size_t>(g)] = -0.5f * static_cast<float>(g + 1);
            }
            std::vector<uint8_t> row(t.row_bytes(cols));
            pack_int_codes_row(t, cols, codes.data(), scales.data(), mins.data(), row.data());
            std::vector<uint8_t> got_codes(static_cast<size_t>(cols));
            std::vector<float> got_scales(scales.size()), got_mins(mins.size(), 0.0f);
            unpack_int_codes_row(t, cols, row.data(), got_codes.data(), got_scales.data(), got_mins.data());
            EXPECT_TRUE(std::equal(got_codes.begin(), got_codes.end(), codes.begin()));
            EXPECT_EQ(got_scales, scales);
            if (asym) {
                EXPECT_EQ(got_mins, mins);
            }
        }
}

TEST(IntGguf, BlockFormatsAndErrors) {
    EXPECT_EQ(quant_format_name(gguf_block_format(GgufBlockType::Q8_0)), "int8_g32_sym_fp16");
    EXPECT_EQ(quant_format_name(gguf_block_format(GgufBlockType::Q4_0)), "int4_g32_sym_fp16");
    EXPECT_EQ(quant_format_name(gguf_block_format(GgufBlockType::Q4_1)), "int4_g32_asym_fp16");
    // Repacked rows take exactly the file's bytes: 34, 18 and 20 per block of 32.
    const struct {
        GgufBlockType type;
        size_t block_bytes;
    } sizes[] = {{GgufBlockType::Q8_0, 34}, {GgufBlockType::Q4_0, 18}, {GgufBlockType::Q4_1, 20}};
    for (const auto &s : sizes)
        for (int64_t cols : {32, 2048, 5632})
            EXPECT_EQ(weight_type_for(gguf_block_format(s.type), ComputeDtype::Auto).row_bytes(cols),
                      static_cast<size_t>(cols / 32) * s.block_bytes);
    const std::vector<uint8_t> src(18 * 4);
    std::vector<uint8_t> dst(1024);
    const WeightType &q40 = weight_type_for(gguf_block_format(GgufBlockType::Q4_0), ComputeDtype::F32);
    EXPECT_THROW(repack_gguf_rows(GgufBlockType::Q4_1, src.data(), 1, 64, q40, dst.data()), Error);
    EXPECT_THROW(repack_gguf_rows(GgufBlockType::Q4_0, src.data(), 1, 48, q40, dst.data()), Error);
    EXPECT_THROW(repack_gguf_rows(GgufBlockType::Q4_0, src.data(), 1, 64, weight_type_f32(), dst.data()), Error);
}

// ---- descriptors ----

TEST(IntWeightType, FoundByValueAndByName) {
    for (const QuantFormat &f : test::all_int_formats()) {
        const std::string name = quant_format_name(f);
        const WeightType &t = weight_type_for(f, ComputeDtype::F32);
        EXPECT_EQ(t.name(), name);
        ASSERT_NE(t.format(), nullptr);
        EXPECT_EQ(*t.format(), f);
        EXPECT_EQ(&weight_type_for(f, ComputeDtype::F32), &t);  // made once
        EXPECT_EQ(find_weight_type(name, ComputeDtype::F32), &t);
    }
    EXPECT_EQ(find_weight_type("int4_g32_sym_fp32", ComputeDtype::Auto)->name(), "int4_g32_sym_fp32");
    EXPECT_EQ(find_weight_type("int4_g32_xsym_fp32", ComputeDtype::Auto), nullptr);
    EXPECT_EQ(find_weight_type("int3_g32_sym_fp32", ComputeDtype::Auto), nullptr);
}

TEST(IntWeightType, ComputeFallsBackToWhatTheCpuRuns) {
    const bool avx512 = selected_isa() == Isa::Avx512;
    const bool vnni = avx512 && cpu_features().avx512vnni;
    const bool bf16 = avx512 && cpu_features().avx512bf16;
    const QuantFormat f = fmt("int4_g32_sym_fp16");
    EXPECT_EQ(weight_type_for(f, ComputeDtype::F32).compute(), ComputeDtype::F32);
    EXPECT_EQ(weight_type_for(f, ComputeDtype::Int8).compute(), vnni ? ComputeDtype::Int8 : ComputeDtype::F32);
    EXPECT_EQ(weight_type_for(f, ComputeDtype::BF16).compute(), bf16 ? ComputeDtype::BF16 : ComputeDtype::F32);
    EXPECT_NE(weight_type_for(f, ComputeDtype::Auto).compute(), ComputeDtype::Auto);
    if (vnni) {
        EXPECT_EQ(weight_type_for(f, ComputeDtype::Auto).compute(), ComputeDtype::Int8);
    }
}

TEST(IntWeightType, RejectsGroupsTheKernelsCannotSum) {
    QuantFormat f = fmt("int8_g32_sym_fp16");
    f.group_size = 32768;
    EXPECT_THROW(make_int_weight_type(f, ComputeDtype::F32), Error);
    f.kind = QuantKind::NF4;
    f.group_size = 32;
    EXPECT_THROW(make_int_weight_type(f, ComputeDtype::F32), Error);
}

// matmul() (prepare once, rows over the pool) for each compute type against the reference of
// the compute type the descriptor reports.
TEST(IntWeightType, MatmulThroughThePool) {
    struct Shape {
        int64_t rows, cols, m;
    };
    const Shape kShapes[] = {{100, 172, 1}, {37, 64, 5}, {70, 257 * 16, 1}, {45, 520, 70}};
    const char *kFormats[] = {"int4_g32_sym_fp32", "int4_g128_asym_bf16", "int8_grow_sym_fp32", "int8_g64_asym_fp32"};
    uint32_t seed = 90;
    for (int threads : {1, 2, 3}) {
        ThreadPool pool(threads);
        for (const char *name : kFormats)
            for (ComputeDtype c : {ComputeDtype::F32, ComputeDtype::BF16, ComputeDtype::Int8, ComputeDtype::Auto})
                for (const Shape &s : kShapes) {
                    SCOPED_TRACE(std::string(name) + " compute=" + compute_dtype_name(c) +
                                 " threads=" + std::to_string(threads) + " rows=" + std::to_string(s.rows) +
                                 " cols=" + std::to_string(s.cols) + " m=" + std::to_string(s.m));
                    test::IntWeights w(fmt(name), s.rows, s.cols, seed++);
                    const WeightType &t = weight_type_for(fmt(name), c);
                    w.matrix.type = &t;
                    const std::vector<float> x = test::random_floats(static_cast<size_t>(s.m * s.cols), seed++);
                    std::vector<float> y(static_cast<size_t>(s.m * s.rows)), ref(y);
                    matmul(w.matrix, x.data(), s.m, y.data(), pool);
                    reference_kernel(KernelFamily::Int, t.compute())
                        ->integer.matmul(w.g, w.matrix, x.data(), nullptr, s.m, s.cols, ref.data(), s.rows, 0, s.rows);
                    for (size_t k = 0; k < y.size(); ++k) ASSERT_NEAR(y[k], ref[k], 1e-4 * (1.0 + std::fabs(ref[k])));
                }
    }
}

}  // namespace
}  // namespace llmrt
