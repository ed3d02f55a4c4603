// WeightType::slice_row (tensor parallelism cuts row-parallel matrices by columns): a slice holds
// exactly the values of those columns of the whole row, for every weight-type family, group
// size, scale type and a ragged last group; and its dot products are the whole row's partial ones.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/quant_format.h"
#include "kernels/weight_types.h"
#include "test_util.h"

namespace llmrt {
namespace {

const WeightType &type_named(const std::string &name) {
    const WeightType *t = find_weight_type(name, ComputeDtype::Auto);
    if (!t) throw std::runtime_error("no weight type " + name);
    return *t;
}

// Every slice on the type's column steps of a row of `cols` values unpacks to the same floats,
// bit for bit, as the whole row unpacked.
void expect_exact_slices(const std::string &name, int64_t cols) {
    SCOPED_TRACE(name + ", " + std::to_string(cols) + " columns");
    const WeightType &type = type_named(name);
    const std::vector<float> src = test::random_floats(static_cast<size_t>(cols), 7);
    std::vector<uint8_t> row(type.row_bytes(cols));
    type.pack_row(src.data(), cols, row.data());
    std::vector<float> whole(static_cast<size_t>(cols));
    type.unpack_row(row.data(), cols, whole.data());
    const int64_t step = type.column_step(cols);
    ASSERT_GT(step, 0);
    for (int64_t c0 = 0; c0 < cols; c0 += step) {
        for (int64_t c1 = c0 + step; c1 < cols + step; c1 += step) {
            const int64_t end = std::min(c1, cols), n = end - c0;
            std::vector<uint8_t> part(type.row_bytes(n), 0xAB);
            type.slice_row(row.data(), cols, c0, end, part.data());
            std::vector<float> got(static_cast<size_t>(n));
            type.unpack_row(part.data(), n, got.data());
            ASSERT_EQ(std::memcmp(got.data(), whole.data() + c0, static_cast<size_t>(n) * sizeof(float)), 0)
                << "columns " << c0 << ".." << end;
        }
    }
}

TEST(SliceRow, F32) { expect_exact_slices("f32", 37); }

TEST(SliceRow, IntGroups) {
    for (const char *name : {"int4_g32_sym_fp32", "int4_g32_asym_fp16", "int8_g32_sym_fp16", "int8_g64_asym_bf16",
                             "int4_g128_sym_fp32"})
        expect_exact_slices(name, 300);  // a ragged last group
}

TEST(SliceRow, IntOneScalePerRow) {
    // Blocks of 32 share the row's scale: every slice keeps it, so the values stay the same.
    for (const char *name : {"int4_grow_sym_fp32", "int8_grow_asym_fp32"}) expect_exact_slices(name, 200);
}

TEST(SliceRow, LookupTables) {
    for (const char *name : {"nf4_g64_sym_fp32", "fp4_g32_sym_bf16", "fp8_e4m3_g32_sym_fp32", "fp8_e5m2_grow_sym_fp32"})
        expect_exact_slices(name, 200);
}

// A packed row's partial dot products over two slices add up to the whole row's (the slices'
// columns of x in turn): what a row-parallel product computes on two ranks.
TEST(SliceRow, PartialProductsAddUp) {
    const WeightType &type = type_named("int4_g32_sym_fp32");
    const int64_t rows = 4, cols = 128, cut = 64;
    const std::vector<float> w = test::random_floats(static_cast<size_t>(rows * cols), 3);
    const std::vector<float> x = test::random_floats(static_cast<size_t>(cols), 4);
    const size_t row_bytes = type.row_bytes(cols), part_bytes = type.row_bytes(cut);
    std::vector<uint8_t> packed(rows * row_bytes), left(rows * part_bytes), right(rows * part_bytes);
    for (int64_t r = 0; r < rows; ++r) {
        type.pack_row(w.data() + r * cols, cols, packed.data() + r * row_bytes);
        type.slice_row(packed.data() + r * row_bytes, cols, 0, cut, left.data() + r * part_bytes);
        type.slice_row(packed.data() + r * row_bytes, cols, cut, cols, right.data() + r * part_bytes);
    }
    std::vector<float> values(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
        type.unpack_row(packed.data() + r * row_bytes, cols, values.data());
        double whole = 0.0;
        for (int64_t c = 0; c < cols; ++c) whole += static_cast<double>(values[c]) * x[c];
        double halves = 0.0;
        type.unpack_row(left.data() + r * part_bytes, cut, values.data());
        for (int64_t c = 0; c < cut; ++c) halves += static_cast<double>(values[c]) * x[c];
        type.unpack_row(right.data() + r * part_bytes, cut, values.data());
        for (int64_t c = 0; c < cut; ++c) halves += static_cast<double>(values[c]) * x[cut + c];
        EXPECT_NEAR(halves, whole, 1e-9 * (1.0 + std::fabs(whole))) << "row " << r;
    }
}

}  // namespace
}  // namespace llmrt
