// The shared decoder's pieces, each against an independent computation: ALiBi slopes against
// HF BLOOM's and MPT's formulas, the HF layout rearrangements against where the HF modeling code
// reads q/k/v from, LayerNorm and the activations against double-precision formulas, sliding-
// window and ALiBi attention against a smaller cache and a hand-written softmax, and the taps of
// a real forward pass (their order and widths, and the last block's output reproducing the
// logits through the final norm and head computed here).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "core/aligned_buffer.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "formats/tensor.h"
#include "models/kv_cache.h"
#include "models/model.h"
#include "models/ops.h"
#include "models/tensor_roles.h"

namespace llmrt {
namespace {

// ---- ALiBi slopes -----------------------------------------------------------------------------

// transformers' modeling_bloom.build_alibi_tensor, the slope part, transcribed.
std::vector<double> bloom_slopes(int n_heads) {
    const double closest_power_of_2 = std::pow(2.0, std::floor(std::log2(static_cast<double>(n_heads))));
    const double base = std::pow(2.0, -std::pow(2.0, -(std::log2(closest_power_of_2) - 3.0)));
    std::vector<double> slopes;
    for (int p = 1; p <= static_cast<int>(closest_power_of_2); ++p) slopes.push_back(std::pow(base, p));
    if (static_cast<int>(closest_power_of_2) != n_heads) {
        const double extra_base = std::pow(2.0, -std::pow(2.0, -(std::log2(2.0 * closest_power_of_2) - 3.0)));
        const int remaining = std::min(static_cast<int>(closest_power_of_2), n_heads - static_cast<int>(closest_power_of_2));
        for (int p = 1; p < 1 + 2 * remaining; p += 2) slopes.push_back(std::pow(extra_base, p));
    }
    return slopes;
}

// MPT's gen_slopes (llm-foundry / mosaicml modeling code), transcribed.
std::vector<double> mpt_slopes(int n_heads, double alibi_bias_max) {
    const int n = static_cast<int>(std::pow(2.0, std::ceil(std::log2(static_cast<double>(n_heads)))));
    std::vector<double> slopes;
    for (int m = 1; m <= n; ++m) slopes.push_back(1.0 / std::pow(2.0, m * (alibi_bias_max / n)));
    if (n != n_heads) {
        std::vector<double> reordered;
        for (size_t i = 1; i < slopes.size(); i += 2) reordered.push_back(slopes[i]);  // slopes[1::2]
        for (size_t i = 0; i < slopes.size(); i += 2) reordered.push_back(slopes[i]);  // slopes[::2]
        reordered.resize(static_cast<size_t>(n_heads));
        slopes = reordered;
    }
    return slopes;
}

TEST(AlibiSlopes, MatchBloomAndMptFormulas) {
    for (int n_head = 1; n_head <= 16; ++n_head) {
        SCOPED_TRACE("n_head " + std::to_string(n_head));
        const std::vector<float> ours = alibi_slopes(n_head, 8.0f);
        const std::vector<double> bloom = bloom_slopes(n_head), mpt = mpt_slopes(n_head, 8.0);
        ASSERT_EQ(ours.size(), static_cast<size_t>(n_head));
        ASSERT_EQ(bloom.size(), static_cast<size_t>(n_head));
        ASSERT_EQ(mpt.size(), static_cast<size_t>(n_head));
        for (int h = 0; h < n_head; ++h) {
            EXPECT_NEAR(ours[h], bloom[h], 1e-6 * bloom[h]) << "head " << h << " vs BLOOM";
            EXPECT_NEAR(ours[h], mpt[h], 1e-6 * mpt[h]) << "head " << h << " vs MPT";
        }
    }
}

// ---- rearrange() -------------------------------------------------------------------------------

constexpr int64_t kCols = 3;

// rows x kCols, row r filled with the value r: an output row then says which input row it is.
std::vector<float> numbered_rows(int64_t rows) {
    std::vector<float> m(static_cast<size_t>(rows * kCols));
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < kCols; ++c) m[static_cast<size_t>(r * kCols + c)] = static_cast<float>(r);
    return m;
}

// Checks out (the runtime's [q; k; v] rows) against a map from (kind, head, dim) to the input
// row the HF modeling code reads that element from. kind: 0 q, 1 k, 2 v.
template <class SourceRow>
void expect_qkv_rows(const std::vector<float> &out, const QkvShape &s, SourceRow source_row) {
    const int64_t q_dim = s.n_head * s.head_dim, kv_dim = s.n_head_kv * s.head_dim;
    for (int kind = 0; kind < 3; ++kind) {
        const int64_t heads = kind == 0 ? s.n_head : s.n_head_kv;
        const int64_t base = kind == 0 ? 0 : kind == 1 ? q_dim : q_dim + kv_dim;
        for (int64_t h = 0; h < heads; ++h)
            for (int64_t d = 0; d < s.head_dim; ++d) {
                const int64_t row = base + h * s.head_dim + d;
                const float expected = static_cast<float>(source_row(kind, h, d));
                for (int64_t c = 0; c < kCols; ++c)
                    ASSERT_EQ(out[static_cast<size_t>(row * kCols + c)], expected)
                        << "kind " << kind << " head " << h << " dim " << d << " col " << c;
            }
    }
}

TEST(Rearrange, QkvPerHeadIsNeoxAndBloomView) {
    // GPT-NeoX: qkv.view(..., n_head, 3 * head_dim), q = [:hd], k = [hd:2hd], v = [2hd:];
    // BLOOM: view(..., n_head, 3, head_dim). Both: input row (h * 3 + kind) * hd + d.
    const QkvShape s{4, 4, 5};
    const int64_t rows = 3 * s.n_head * s.head_dim;
    const std::vector<float> in = numbered_rows(rows);
    std::vector<float> out(in.size(), -1.0f);
    rearrange(Transform::QkvPerHead, s, rows, kCols, in.data(), out.data());
    expect_qkv_rows(out, s, [&](int kind, int64_t h, int64_t d) { return (h * 3 + kind) * s.head_dim + d; });

    // The bias (one column) moves the same way.
    std::vector<float> bias_in(static_cast<size_t>(rows)), bias_out(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) bias_in[static_cast<size_t>(r)] = static_cast<float>(r);
    rearrange(Transform::QkvPerHead, s, rows, 1, bias_in.data(), bias_out.data());
    for (int64_t h = 0; h < s.n_head; ++h)
        for (int64_t d = 0; d < s.head_dim; ++d) {
            EXPECT_EQ(bias_out[static_cast<size_t>(h * s.head_dim + d)], (h * 3 + 0) * s.head_dim + d);
            EXPECT_EQ(bias_out[static_cast<size_t>((s.n_head + h) * s.head_dim + d)], (h * 3 + 1) * s.head_dim + d);
            EXPECT_EQ(bias_out[static_cast<size_t>((2 * s.n_head + h) * s.head_dim + d)], (h * 3 + 2) * s.head_dim + d);
        }
}

TEST(Rearrange, QkvPerKvGroupIsFalconNewDecoderView) {
    // Falcon (new_decoder_architecture): view(..., n_kv, n_head / n_kv + 2, head_dim);
    // query = [:, :, :, :-2] flattened over (kv group, j), key = [..., -2], value = [..., -1].
    const QkvShape s{8, 2, 4};
    const int64_t group = s.n_head / s.n_head_kv, unit = group + 2;
    const int64_t rows = (s.n_head + 2 * s.n_head_kv) * s.head_dim;
    const std::vector<float> in = numbered_rows(rows);
    std::vector<float> out(in.size(), -1.0f);
    rearrange(Transform::QkvPerKvGroup, s, rows, kCols, in.data(), out.data());
    expect_qkv_rows(out, s, [&](int kind, int64_t h, int64_t d) {
        if (kind == 0) return ((h / group) * unit + h % group) * s.head_dim + d;
        return (h * unit + group + (kind == 1 ? 0 : 1)) * s.head_dim + d;
    });
}

TEST(Rearrange, QkvPerKvGroupWithOneKvHeadIsFalcon7bMultiQuery) {
    // Falcon-7B (multi_query): view(..., n_head + 2, head_dim), q = [:-2], k = [-2], v = [-1].
    const QkvShape s{4, 1, 6};
    const int64_t rows = (s.n_head + 2) * s.head_dim;
    const std::vector<float> in = numbered_rows(rows);
    std::vector<float> out(in.size(), -1.0f);
    rearrange(Transform::QkvPerKvGroup, s, rows, kCols, in.data(), out.data());
    expect_qkv_rows(out, s, [&](int kind, int64_t h, int64_t d) {
        if (kind == 0) return h * s.head_dim + d;
        return (s.n_head + (kind == 1 ? 0 : 1)) * s.head_dim + d;
    });
}

TEST(Rearrange, QkvPerKvGroupWithAllKvHeadsIsPerHead) {
    // Falcon's old decoder without multi-query reads view(n_head, 3, head_dim), as NeoX does.
    const QkvShape s{3, 3, 4};
    const int64_t rows = 3 * s.n_head * s.head_dim;
    const std::vector<float> in = numbered_rows(rows);
    std::vector<float> a(in.size()), b(in.size());
    rearrange(Transform::QkvPerKvGroup, s, rows, kCols, in.data(), a.data());
    rearrange(Transform::QkvPerHead, s, rows, kCols, in.data(), b.data());
    EXPECT_EQ(a, b);
}

TEST(Rearrange, QkvRowsThatDoNotFitTheHeadsThrowFormat) {
    const int64_t rows = 3 * 4 * 5 + 1;
    const std::vector<float> in = numbered_rows(rows);
    std::vector<float> out(in.size());
    for (Transform t : {Transform::QkvPerHead, Transform::QkvPerKvGroup}) {
        try {
            rearrange(t, QkvShape{4, 4, 5}, rows, kCols, in.data(), out.data());
            ADD_FAILURE() << "no error for " << rows << " rows";
        } catch (const Error &e) {
            EXPECT_EQ(e.status(), Status::Format) << e.what();
            EXPECT_NE(std::string(e.what()).find(std::to_string(rows)), std::string::npos) << e.what();
        }
    }
    // A kv head count that is not what the rows were made for: 8 heads, 2 kv heads expected,
    // but the rows hold 8 q + 1 k + 1 v heads of 4.
    const int64_t mqa_rows = (8 + 2) * 4;
    const std::vector<float> mqa = numbered_rows(mqa_rows);
    std::vector<float> mqa_out(mqa.size());
    EXPECT_THROW(rearrange(Transform::QkvPerKvGroup, QkvShape{8, 2, 4}, mqa_rows, kCols, mqa.data(), mqa_out.data()),
                 Error);
}

TEST(Rearrange, TransposeReadsConv1DLayout) {
    // GPT-2's Conv1D weight is [in, out]; the runtime wants [out, in].
    const int64_t rows = 5, cols = 7;  // out features, in features
    EXPECT_EQ(file_shape(Transform::Transpose, rows, cols), (std::vector<int64_t>{cols, rows}));
    EXPECT_EQ(file_shape(Transform::Transpose, rows, 1), (std::vector<int64_t>{rows}));
    std::vector<float> conv1d(static_cast<size_t>(rows * cols));
    for (int64_t i = 0; i < cols; ++i)
        for (int64_t o = 0; o < rows; ++o) conv1d[static_cast<size_t>(i * rows + o)] = static_cast<float>(100 * o + i);
    std::vector<float> out(conv1d.size());
    rearrange(Transform::Transpose, {}, rows, cols, conv1d.data(), out.data());
    for (int64_t o = 0; o < rows; ++o)
        for (int64_t i = 0; i < cols; ++i) EXPECT_EQ(out[static_cast<size_t>(o * cols + i)], 100 * o + i);
}

TEST(Rearrange, AddOneAndRowNormalize) {
    std::mt19937 rng(7);
    std::normal_distribution<float> dist(0.0f, 2.0f);
    const int64_t rows = 6, cols = 9;
    std::vector<float> in(static_cast<size_t>(rows * cols));
    for (float &v : in) v = dist(rng);

    std::vector<float> out(in.size());
    rearrange(Transform::AddOne, {}, rows * cols, 1, in.data(), out.data());
    for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(out[i], in[i] + 1.0f);

    rearrange(Transform::RowNormalize, {}, rows, cols, in.data(), out.data());
    for (int64_t r = 0; r < rows; ++r) {
        double norm_in = 0.0, norm_out = 0.0;
        for (int64_t c = 0; c < cols; ++c) {
            norm_in += static_cast<double>(in[static_cast<size_t>(r * cols + c)]) * in[static_cast<size_t>(r * cols + c)];
            norm_out += static_cast<double>(out[static_cast<size_t>(r * cols + c)]) * out[static_cast<size_t>(r * cols + c)];
        }
        norm_in = std::sqrt(norm_in);
        EXPECT_NEAR(std::sqrt(norm_out), 1.0, 1e-6) << "row " << r;
        // Same direction: out * |in| is in again.
        for (int64_t c = 0; c < cols; ++c) {
            const float x = in[static_cast<size_t>(r * cols + c)];
            EXPECT_NEAR(out[static_cast<size_t>(r * cols + c)] * norm_in, x, 1e-6 * (std::fabs(x) + norm_in));
        }
    }
}

// ---- layer_norm, activations ---------------------------------------------------------------------

TEST(LayerNorm, MatchesDoubleFormulaWithAndWithoutBias) {
    std::mt19937 rng(11);
    std::normal_distribution<float> dist(0.5f, 3.0f);
    const int64_t n = 4, width = 37;
    const float eps = 1e-5f;
    std::vector<float> x(static_cast<size_t>(n * width)), w(static_cast<size_t>(width)), b(static_cast<size_t>(width));
    for (float &v : x) v = dist(rng);
    for (float &v : w) v = dist(rng);
    for (float &v : b) v = dist(rng);
    for (const bool with_bias : {false, true}) {
        SCOPED_TRACE(with_bias ? "with bias" : "without bias");
        std::vector<float> out(x.size());
        layer_norm(x.data(), w.data(), with_bias ? b.data() : nullptr, out.data(), n, width, eps);
        for (int64_t r = 0; r < n; ++r) {
            const float *xr = x.data() + r * width;
            double mean = 0.0, var = 0.0;
            for (int64_t i = 0; i < width; ++i) mean += xr[i];
            mean /= static_cast<double>(width);
            for (int64_t i = 0; i < width; ++i) var += (xr[i] - mean) * (xr[i] - mean);
            var /= static_cast<double>(width);
            for (int64_t i = 0; i < width; ++i) {
                const double expected =
                    (xr[i] - mean) / std::sqrt(var + static_cast<double>(eps)) * w[static_cast<size_t>(i)] +
                    (with_bias ? b[static_cast<size_t>(i)] : 0.0);
                EXPECT_NEAR(out[static_cast<size_t>(r * width + i)], expected, 1e-5 * (1.0 + std::fabs(expected)))
                    << "row " << r << " col " << i;
            }
        }
    }
}

double reference_activation(Activation act, double x) {
    const double pi = 3.14159265358979323846;
    switch (act) {
        case Activation::Silu: return x / (1.0 + std::exp(-x));
        case Activation::GeluExact: return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
        case Activation::GeluTanh: return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / pi) * (x + 0.044715 * x * x * x)));
        case Activation::Relu: return x > 0.0 ? x : 0.0;
    }
    return x;
}

const char *activation_name(Activation act) {
    switch (act) {
        case Activation::Silu: return "silu";
        case Activation::GeluExact: return "gelu (erf)";
        case Activation::GeluTanh: return "gelu (tanh)";
        case Activation::Relu: return "relu";
    }
    return "?";
}

// Within 1e-6 relative, relative to the input where the output is much smaller than it: the
// GELUs of negative inputs are x times (1 + erf/tanh), and that sum near 0 cancels in f32 (its
// absolute error is ~1e-7, which is the only error left).
double activation_tolerance(double expected, double x) { return 1e-6 * std::max(std::fabs(expected), std::fabs(x)); }

TEST(Activations, ActivateAndActMulMatchErfAndTanhFormulas) {
    std::vector<float> xs;
    for (int i = -400; i <= 400; ++i) xs.push_back(static_cast<float>(i) * 0.02f);  // [-8, 8]
    for (float v : {1e-4f, -1e-4f, 0.0f, 20.0f, -20.0f}) xs.push_back(v);
    const int64_t count = static_cast<int64_t>(xs.size());
    std::vector<float> up(xs.size());
    for (size_t i = 0; i < up.size(); ++i) up[i] = 0.5f + 0.25f * static_cast<float>(i % 7);
    for (Activation act : {Activation::Silu, Activation::GeluExact, Activation::GeluTanh, Activation::Relu}) {
        SCOPED_TRACE(activation_name(act));
        std::vector<float> y = xs;
        activate(act, y.data(), count);
        std::vector<float> mul(xs.size());
        act_mul(act, xs.data(), up.data(), mul.data(), count);
        for (size_t i = 0; i < xs.size(); ++i) {
            const double expected = reference_activation(act, xs[i]);
            EXPECT_NEAR(y[i], expected, activation_tolerance(expected, xs[i])) << "x = " << xs[i];
            EXPECT_NEAR(mul[i], expected * up[i], activation_tolerance(expected * up[i], xs[i] * up[i]))
                << "x = " << xs[i] << ", up = " << up[i];
        }
    }
}

// ---- causal_attention -------------------------------------------------------------------------------

struct AttnData {
    int64_t n_head = 4, n_head_kv = 2, head_dim = 8;
    int64_t n_pos = 0;          // positions with keys and values
    std::vector<float> k, v;    // [n_pos][kv_dim]
    int64_t kv_dim() const { return n_head_kv * head_dim; }
    int64_t q_dim() const { return n_head * head_dim; }
};

AttnData random_attention(int64_t n_pos, uint32_t seed) {
    AttnData a;
    a.n_pos = n_pos;
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    a.k.resize(static_cast<size_t>(n_pos * a.kv_dim()));
    a.v.resize(a.k.size());
    for (float &x : a.k) x = dist(rng);
    for (float &x : a.v) x = dist(rng);
    return a;
}

std::vector<float> random_queries(const AttnData &a, int64_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> q(static_cast<size_t>(n * a.q_dim()));
    for (float &x : q) x = dist(rng);
    return q;
}

// causal_attention for the n queries at [pos0, pos0 + n) over an f32 cache holding keys/values
// [first, first + count) of a at cache positions [0, count).
std::vector<float> run_attention(const AttnData &a, int64_t first, int64_t count, const float *q, int64_t n,
                                 int64_t pos0, const AttentionShape &shape, ThreadPool &pool) {
    KvCache cache(KvType::F32, 1, count, a.kv_dim(), a.head_dim);
    cache.store(0, 0, count, a.k.data() + first * a.kv_dim(), a.v.data() + first * a.kv_dim());
    std::vector<float> out(static_cast<size_t>(n * a.q_dim()));
    std::vector<float> scratch(static_cast<size_t>(pool.size() * (pos0 + n + a.head_dim)));
    causal_attention(q, cache.layer(0), out.data(), n, pos0, shape, scratch.data(), pool);
    return out;
}

AttentionShape shape_of(const AttnData &a) {
    AttentionShape s;
    s.n_head = a.n_head;
    s.n_head_kv = a.n_head_kv;
    s.head_dim = a.head_dim;
    s.scale = 1.0f / std::sqrt(static_cast<float>(a.head_dim));
    return s;
}

class SlidingWindow : public ::testing::TestWithParam<bool> {};  // with ALiBi or not

TEST_P(SlidingWindow, EqualsAttentionOverACacheOfTheLastWindowPositions) {
    ThreadPool pool(2);
    const int64_t pos0 = 10, n = 4, window = 5;
    const AttnData a = random_attention(pos0 + n, 3);
    const std::vector<float> q = random_queries(a, n, 4);
    const std::vector<float> slopes = alibi_slopes(a.n_head, 8.0f);
    AttentionShape windowed = shape_of(a);
    windowed.window = window;
    if (GetParam()) windowed.alibi = slopes.data();
    const std::vector<float> out = run_attention(a, 0, a.n_pos, q.data(), n, pos0, windowed, pool);

    // A window that covers everything changes nothing; this one does change the result.
    AttentionShape full = windowed;
    full.window = 0;
    const std::vector<float> unwindowed = run_attention(a, 0, a.n_pos, q.data(), n, pos0, full, pool);
    AttentionShape wide = windowed;
    wide.window = pos0 + n;
    EXPECT_EQ(run_attention(a, 0, a.n_pos, q.data(), n, pos0, wide, pool), unwindowed);
    EXPECT_NE(out, unwindowed);

    // Each query alone over a cache that holds only the last `window` positions up to its own
    // (positions shift, but ALiBi depends only on their differences).
    for (int64_t t = 0; t < n; ++t) {
        const int64_t q_pos = pos0 + t, first = q_pos + 1 - window;
        const std::vector<float> alone =
            run_attention(a, first, window, q.data() + t * a.q_dim(), 1, window - 1, full, pool);
        for (int64_t i = 0; i < a.q_dim(); ++i)
            EXPECT_NEAR(out[static_cast<size_t>(t * a.q_dim() + i)], alone[static_cast<size_t>(i)], 1e-6)
                << "token " << t << " element " << i;
    }
}

INSTANTIATE_TEST_SUITE_P(Attention, SlidingWindow, ::testing::Bool(),
                         [](const auto &info) { return info.param ? "WithAlibi" : "Plain"; });

TEST(Attention, AlibiEqualsHandWrittenSoftmax) {
    ThreadPool pool(2);
    const int64_t pos0 = 6, n = 3;
    const AttnData a = random_attention(pos0 + n, 21);
    const std::vector<float> q = random_queries(a, n, 22);
    const std::vector<float> slopes = alibi_slopes(a.n_head, 8.0f);
    AttentionShape shape = shape_of(a);
    shape.alibi = slopes.data();
    const std::vector<float> out = run_attention(a, 0, a.n_pos, q.data(), n, pos0, shape, pool);

    const int64_t group = a.n_head / a.n_head_kv;
    const double scale = 1.0 / std::sqrt(static_cast<double>(a.head_dim));
    for (int64_t t = 0; t < n; ++t) {
        const int64_t i = pos0 + t;
        for (int64_t h = 0; h < a.n_head; ++h) {
            const float *qh = q.data() + t * a.q_dim() + h * a.head_dim;
            const int64_t kv_off = (h / group) * a.head_dim;
            std::vector<double> score(static_cast<size_t>(i + 1));
            double max_score = -INFINITY;
            for (int64_t j = 0; j <= i; ++j) {
                double dot = 0.0;
                for (int64_t d = 0; d < a.head_dim; ++d)
                    dot += static_cast<double>(qh[d]) * a.k[static_cast<size_t>(j * a.kv_dim() + kv_off + d)];
                score[static_cast<size_t>(j)] = dot * scale + static_cast<double>(slopes[static_cast<size_t>(h)]) *
                                                                   static_cast<double>(j - i);
                max_score = std::max(max_score, score[static_cast<size_t>(j)]);
            }
            double sum = 0.0;
            for (double &s : score) sum += (s = std::exp(s - max_score));
            for (int64_t d = 0; d < a.head_dim; ++d) {
                double expected = 0.0;
                for (int64_t j = 0; j <= i; ++j)
                    expected += score[static_cast<size_t>(j)] / sum * a.v[static_cast<size_t>(j * a.kv_dim() + kv_off + d)];
                EXPECT_NEAR(out[static_cast<size_t>(t * a.q_dim() + h * a.head_dim + d)], expected, 1e-5)
                    << "token " << t << " head " << h << " dim " << d;
            }
        }
    }
    // The slopes matter here: without them the result differs.
    AttentionShape plain = shape_of(a);
    EXPECT_NE(run_attention(a, 0, a.n_pos, q.data(), n, pos0, plain, pool), out);
}

// ---- taps ----------------------------------------------------------------------------------------------

struct Recorder final : TapObserver {
    std::vector<std::tuple<Tap, int64_t, int64_t, int64_t>> seen;  // (tap, layer, n, width)
    int64_t last_layer = -1;
    std::vector<float> last_block_output;
    void observe(Tap tap, int64_t layer, const float *x, int64_t n, int64_t width) override {
        seen.emplace_back(tap, layer, n, width);
        if (tap == Tap::BlockOutput && layer == last_layer) last_block_output.assign(x, x + n * width);
    }
};

TEST(Taps, FireOncePerLayerWithTheirWidthsAndTheLastReproducesTheLogits) {
    const std::string path = std::string(LLMRT_SOURCE_DIR) + "/models/stories260K/stories260K.gguf";
    const std::unique_ptr<Model> model = load_model(path);
    const HyperParams &hp = model->hparams();
    ASSERT_GT(hp.n_layer, 1);

    const int32_t tokens[] = {1, 403, 407, 261, 378};
    const int64_t n = 5, n_ctx = 16;
    ThreadPool pool(2);
    KvCache cache(KvType::F32, hp.n_layer, n_ctx, model->arch->kv_dim(), hp.head_dim);
    AlignedBuffer<float> workspace(model->arch->workspace_floats(n, n_ctx, pool.size()));
    std::vector<float> logits(static_cast<size_t>(hp.n_vocab));
    Recorder recorder;
    recorder.last_layer = hp.n_layer - 1;
    ForwardBatch batch;
    batch.tokens = tokens;
    batch.n = n;
    batch.taps = &recorder;
    model->arch->forward(batch, cache, workspace.data(), pool, logits.data());

    std::vector<std::tuple<Tap, int64_t, int64_t, int64_t>> expected;
    for (int64_t il = 0; il < hp.n_layer; ++il) {
        expected.emplace_back(Tap::AttnInput, il, n, hp.n_embd);
        expected.emplace_back(Tap::AttnOutInput, il, n, hp.n_head * hp.head_dim);
        expected.emplace_back(Tap::MlpInput, il, n, hp.n_embd);
        expected.emplace_back(Tap::DownInput, il, n, hp.n_ff);
        expected.emplace_back(Tap::BlockOutput, il, n, hp.n_embd);
    }
    ASSERT_EQ(recorder.seen.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(static_cast<int>(std::get<0>(recorder.seen[i])), static_cast<int>(std::get<0>(expected[i]))) << i;
        EXPECT_EQ(std::get<1>(recorder.seen[i]), std::get<1>(expected[i])) << i;
        EXPECT_EQ(std::get<2>(recorder.seen[i]), std::get<2>(expected[i])) << i;
        EXPECT_EQ(std::get<3>(recorder.seen[i]), std::get<3>(expected[i])) << i;
    }

    // The last token's row of the last block's output, through the final RMSNorm and the head
    // (here, in double, from the file's tensors), is the logits the forward pass returned.
    ASSERT_EQ(recorder.last_block_output.size(), static_cast<size_t>(n * hp.n_embd));
    const Checkpoint &ck = model->checkpoint;
    const auto eps_it = ck.gguf_metadata.find("llama.attention.layer_norm_rms_epsilon");
    ASSERT_NE(eps_it, ck.gguf_metadata.end());
    const double eps = static_cast<float>(eps_it->second.as_double());
    const TensorView &norm_t = ck.get("output_norm.weight");
    const TensorView &head_t = ck.find("output.weight") ? ck.get("output.weight") : ck.get("token_embd.weight");
    std::vector<float> norm_w(static_cast<size_t>(hp.n_embd)), head(static_cast<size_t>(hp.n_vocab * hp.n_embd));
    ASSERT_EQ(norm_t.n_elements(), hp.n_embd);
    ASSERT_EQ(head_t.n_elements(), hp.n_vocab * hp.n_embd);
    tensor_to_f32(norm_t, norm_w.data());
    tensor_to_f32(head_t, head.data());
    const float *x = recorder.last_block_output.data() + (n - 1) * hp.n_embd;
    double ss = 0.0;
    for (int64_t i = 0; i < hp.n_embd; ++i) ss += static_cast<double>(x[i]) * x[i];
    const double inv = 1.0 / std::sqrt(ss / static_cast<double>(hp.n_embd) + eps);
    double max_diff = 0.0;
    for (int64_t v = 0; v < hp.n_vocab; ++v) {
        double logit = 0.0;
        for (int64_t i = 0; i < hp.n_embd; ++i)
            logit += x[i] * inv * norm_w[static_cast<size_t>(i)] * head[static_cast<size_t>(v * hp.n_embd + i)];
        max_diff = std::max(max_diff, std::fabs(logit - logits[static_cast<size_t>(v)]));
    }
    EXPECT_LT(max_diff, 1e-4);
}

}  // namespace
}  // namespace llmrt
