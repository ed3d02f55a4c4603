// GPTQ against round to nearest on the same weights and the same (correlated) inputs: the layer
// error ||(W - Q) X^T||^2 it minimises must come out lower; with uncorrelated inputs of equal
// variance (H = I) there is no error to push anywhere and GPTQ must equal round to nearest.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/quant_format.h"
#include "kernels/weight_types.h"
#include "quant/gptq.h"

namespace llmrt {
namespace {

struct Layer {
    int64_t rows, cols;
    std::vector<float> w;
};

Layer random_layer(int64_t rows, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.0f, 1.0f);
    Layer l{rows, cols, std::vector<float>(static_cast<size_t>(rows * cols))};
    for (float &v : l.w) v = n(rng) * 0.05f;
    return l;
}

// Inputs with correlated channels and a few large ones, as activations have.
std::vector<float> correlated_inputs(int64_t n, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    const int64_t k = cols / 4;
    std::vector<float> mix(static_cast<size_t>(k * cols)), x(static_cast<size_t>(n * cols));
    for (float &v : mix) v = g(rng);
    for (int64_t t = 0; t < n; ++t) {
        std::vector<float> z(static_cast<size_t>(k));
        for (float &v : z) v = g(rng);
        for (int64_t c = 0; c < cols; ++c) {
            float s = 0.1f * g(rng);
            for (int64_t j = 0; j < k; ++j) s += z[static_cast<size_t>(j)] * mix[static_cast<size_t>(j * cols + c)];
            x[static_cast<size_t>(t * cols + c)] = (c % 17 == 0 ? 8.0f : 1.0f) * s;
        }
    }
    return x;
}

std::vector<float> unpack(const WeightType &type, const std::vector<uint8_t> &packed, int64_t rows, int64_t cols) {
    std::vector<float> out(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r)
        type.unpack_row(packed.data() + static_cast<size_t>(r) * type.row_bytes(cols), cols, out.data() + r * cols);
    return out;
}

std::vector<uint8_t> rtn(const WeightType &type, const Layer &l) {
    std::vector<uint8_t> out(type.row_bytes(l.cols) * static_cast<size_t>(l.rows));
    for (int64_t r = 0; r < l.rows; ++r)
        type.pack_row(l.w.data() + r * l.cols, l.cols, out.data() + static_cast<size_t>(r) * type.row_bytes(l.cols));
    return out;
}

std::vector<uint8_t> gptq(const WeightType &type, const Layer &l, const Hessian &h, const GptqOptions &o,
                          ThreadPool &pool) {
    std::vector<uint8_t> out(type.row_bytes(l.cols) * static_cast<size_t>(l.rows));
    gptq_quantize(l.w.data(), l.rows, l.cols, h, type, o, out.data(), pool);
    return out;
}

QuantFormat format(QuantKind kind, int32_t group, bool asym) {
    QuantFormat f;
    f.kind = kind;
    f.group_size = group;
    f.asym = asym;
    return f;
}

TEST(Gptq, LayerErrorIsBelowRoundToNearestOnCorrelatedInputs) {
    ThreadPool pool(2);
    const Layer l = random_layer(48, 256, 1);
    const std::vector<float> x = correlated_inputs(1024, l.cols, 2);
    Hessian h(l.cols);
    h.add(x.data(), 1024, pool);
    for (const QuantFormat &f : {format(QuantKind::Int4, 32, false), format(QuantKind::Int4, 128, true),
                                 format(QuantKind::Int4, -1, false), format(QuantKind::Int8, 32, false)}) {
        SCOPED_TRACE(quant_format_name(f));
        const WeightType &type = weight_type_for(f, ComputeDtype::F32);
        const double e_rtn = relative_layer_error(l.w.data(), unpack(type, rtn(type, l), l.rows, l.cols).data(), l.rows,
                                                  l.cols, h);
        for (bool act_order : {false, true}) {
            GptqOptions o;
            o.act_order = act_order;
            o.block = 64;  // several lazy batches per row
            const double e = relative_layer_error(l.w.data(), unpack(type, gptq(type, l, h, o, pool), l.rows, l.cols).data(),
                                                  l.rows, l.cols, h);
            EXPECT_LT(e, 0.8 * e_rtn) << "act_order " << act_order << ": gptq " << e << ", rtn " << e_rtn;
            EXPECT_GT(e, 0.0);
        }
    }
}

TEST(Gptq, EqualsRoundToNearestWhenInputsAreUncorrelated) {
    ThreadPool pool(2);
    const Layer l = random_layer(8, 96, 3);
    Hessian h(l.cols);
    std::vector<float> eye(static_cast<size_t>(l.cols * l.cols), 0.0f);
    for (int64_t i = 0; i < l.cols; ++i) eye[static_cast<size_t>(i * l.cols + i)] = 1.0f;
    h.add(eye.data(), l.cols, pool);  // H = I
    for (const QuantFormat &f : {format(QuantKind::Int4, 32, false), format(QuantKind::Int8, 32, true)}) {
        const WeightType &type = weight_type_for(f, ComputeDtype::F32);
        EXPECT_EQ(gptq(type, l, h, GptqOptions{}, pool), rtn(type, l)) << quant_format_name(f);
    }
}

// With H = I GPTQ is per-group rounding, so the range search can only lower the rounding error:
// shrink 1 (round to nearest) is one of the candidates.
TEST(Gptq, ClipSearchLowersTheRoundingErrorOfUncorrelatedInputs) {
    ThreadPool pool(2);
    const Layer l = random_layer(16, 128, 7);
    Hessian h(l.cols);
    std::vector<float> eye(static_cast<size_t>(l.cols * l.cols), 0.0f);
    for (int64_t i = 0; i < l.cols; ++i) eye[static_cast<size_t>(i * l.cols + i)] = 1.0f;
    h.add(eye.data(), l.cols, pool);
    for (const QuantFormat &f : {format(QuantKind::Int4, 32, false), format(QuantKind::Int4, 128, true)}) {
        SCOPED_TRACE(quant_format_name(f));
        const WeightType &type = weight_type_for(f, ComputeDtype::F32);
        GptqOptions o;
        const double e_plain = relative_layer_error(l.w.data(), unpack(type, gptq(type, l, h, o, pool), l.rows, l.cols).data(),
                                                    l.rows, l.cols, h);
        o.clip_grid = 20;
        const double e_clip = relative_layer_error(l.w.data(), unpack(type, gptq(type, l, h, o, pool), l.rows, l.cols).data(),
                                                   l.rows, l.cols, h);
        EXPECT_LT(e_clip, 0.97 * e_plain) << "clip " << e_clip << ", plain " << e_plain;
    }
}

TEST(Gptq, ColumnsNoInputReachesAreQuantizedAsZero) {
    ThreadPool pool(1);
    const Layer l = random_layer(4, 64, 4);
    std::vector<float> x = correlated_inputs(256, l.cols, 5);
    for (int64_t t = 0; t < 256; ++t) x[static_cast<size_t>(t * l.cols + 7)] = 0.0f;  // a dead channel
    Hessian h(l.cols);
    h.add(x.data(), 256, pool);
    const WeightType &type = weight_type_for(format(QuantKind::Int8, 32, false), ComputeDtype::F32);
    const std::vector<float> q = unpack(type, gptq(type, l, h, GptqOptions{}, pool), l.rows, l.cols);
    for (int64_t r = 0; r < l.rows; ++r) EXPECT_EQ(q[static_cast<size_t>(r * l.cols + 7)], 0.0f);
}

TEST(Gptq, RefusesTypesWithoutIntegerCodes) {
    ThreadPool pool(1);
    const Layer l = random_layer(2, 32, 6);
    Hessian h(l.cols);
    const WeightType &type = weight_type_for(format(QuantKind::NF4, 32, false), ComputeDtype::F32);
    std::vector<uint8_t> out(type.row_bytes(l.cols) * 2);
    EXPECT_ANY_THROW(gptq_quantize(l.w.data(), l.rows, l.cols, h, type, GptqOptions{}, out.data(), pool));
}

}  // namespace
}  // namespace llmrt
