// SmoothQuant: on a layer whose input has a few large channels, smoothing must lower the W8A8
// output error (per token and static activations); on a real model the folding must be exact
// in f32 (every layer kept in f32: same logits as the original), and a W8A8 model (calibrated on
// the calibration text) must compute bit-identical logits once written to a file and reloaded.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/weight_types.h"
#include "models/model.h"
#include "quant/quantizer.h"
#include "quant/smoothquant.h"

namespace llmrt {
namespace {

const std::string kModel = std::string(LLMRT_SOURCE_DIR) + "/models/stories260K/stories260K.gguf";

// The first 16 KB of the calibration text: tokenizing all of it (1.1 MB) would take most of these
// tests' time, and 4 samples of 64 tokens need far less.
const std::string &calibration_text() {
    static const std::string path = [] {
        std::ifstream in(std::string(LLMRT_SHARED_DIR) + "/data/calibration/tinyshakespeare.txt", std::ios::binary);
        std::string text(16384, '\0');
        in.read(&text[0], static_cast<std::streamsize>(text.size()));
        text.resize(static_cast<size_t>(in.gcount()));
        const std::string out = ::testing::TempDir() + "/smoothquant_calib.txt";
        std::ofstream(out, std::ios::binary) << text;
        return out;
    }();
    return path;
}

std::vector<float> random_weights(int64_t rows, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> n(0.0f, 0.05f);
    std::vector<float> w(static_cast<size_t>(rows * cols));
    for (float &v : w) v = n(rng);
    return w;
}

// Inputs with a few channels (every 23rd) 40 times larger than the rest, as activations have.
std::vector<float> inputs_with_large_channels(int64_t n, int64_t cols, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(n * cols));
    for (int64_t t = 0; t < n; ++t)
        for (int64_t c = 0; c < cols; ++c) x[static_cast<size_t>(t * cols + c)] = (c % 23 == 0 ? 40.0f : 1.0f) * g(rng);
    return x;
}

TEST(SmoothQuant, SmoothingLowersTheW8A8ErrorWithLargeInputChannels) {
    ThreadPool pool(2);
    const int64_t cols = 256, n = 256;
    const std::vector<float> x = inputs_with_large_channels(n, cols, 1);
    std::vector<float> absmax(static_cast<size_t>(cols), 0.0f);
    for (int64_t t = 0; t < n; ++t)
        for (int64_t c = 0; c < cols; ++c)
            absmax[static_cast<size_t>(c)] = std::max(absmax[static_cast<size_t>(c)], std::fabs(x[t * cols + c]));
    const std::vector<float> w1 = random_weights(64, cols, 2), w2 = random_weights(32, cols, 3);
    QuantFormat f;
    f.kind = QuantKind::Int8;
    f.group_size = -1;
    const WeightType &type = weight_type_for(f, ComputeDtype::Int8);
    if (type.compute() != ComputeDtype::Int8) GTEST_SKIP() << "no int8 compute on this CPU";
    for (bool static_act : {false, true}) {
        SCOPED_TRACE(static_act ? "static" : "per token");
        SmoothQuantOptions o;
        o.static_act = static_act;
        const SmoothChoice c =
            smooth_choose({{w1.data(), 64}, {w2.data(), 32}}, {&type, &type}, cols, absmax, x.data(), n, o, pool);
        EXPECT_EQ(c.alpha, 0.5);
        EXPECT_GT(c.unsmoothed_error, 0.0);
        EXPECT_LT(c.error, 0.5 * c.unsmoothed_error);
        // The search includes 0.5, so it can only do as well or better on the same rows.
        o.auto_alpha = true;
        const SmoothChoice a =
            smooth_choose({{w1.data(), 64}, {w2.data(), 32}}, {&type, &type}, cols, absmax, x.data(), n, o, pool);
        EXPECT_LE(a.error, c.error);
        EXPECT_GE(a.alpha, o.alpha_min);
        EXPECT_LE(a.alpha, o.alpha_max + 1e-9);
    }
}

std::vector<float> logits_of(const Model &model, const std::vector<int32_t> &tokens) {
    const HyperParams &hp = model.hparams();
    const int64_t n = static_cast<int64_t>(tokens.size());
    ThreadPool pool(2);
    KvCache cache(KvType::F32, hp.n_layer, n, model.arch->kv_dim(), hp.head_dim);
    AlignedBuffer<float> workspace(model.arch->workspace_floats(n, n, pool.size()));
    std::vector<float> logits(static_cast<size_t>(n * hp.n_vocab));
    ForwardBatch batch;
    batch.tokens = tokens.data();
    batch.n = n;
    batch.all_logits = true;
    model.arch->forward(batch, cache, workspace.data(), pool, logits.data());
    return logits;
}

const StoredTensor *stored(const Model &model, const std::string &name) {
    for (const StoredTensor &t : model.weights->tensors())
        if (t.name == name) return &t;
    return nullptr;
}

QuantOptions smoothquant_options() {
    QuantOptions o;
    o.format.kind = QuantKind::Int8;
    o.format.group_size = -1;
    o.algorithm = "smoothquant";
    o.calibration_path = calibration_text();
    o.n_samples = 4;
    o.seq_len = 64;
    return o;
}

const std::vector<int32_t> kTokens = {1, 403, 407, 261, 378, 290, 300, 12, 44, 500};

TEST(SmoothQuant, SmoothingIsExactInF32) {
    QuantOptions o = smoothquant_options();
    o.keep_f32 = {"*"};  // nothing quantized: only the folding changes the model
    const std::unique_ptr<Model> smoothed = quantize_model(kModel, o);
    const std::unique_ptr<Model> original = load_model(kModel);
    // The norms were folded (so the comparison sees the smoothing).
    int folded = 0;
    for (const StoredTensor &t : original->weights->tensors()) {
        if (t.name.find("norm") == std::string::npos || t.shape.size() != 1) continue;
        const StoredTensor *s = stored(*smoothed, t.name);
        ASSERT_NE(s, nullptr) << t.name;
        folded += std::memcmp(s->data, t.data, t.nbytes) != 0;
    }
    EXPECT_GT(folded, 0);
    const std::vector<float> a = logits_of(*original, kTokens), b = logits_of(*smoothed, kTokens);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-4) << i;
}

// Each model with the overrides keeping its embeddings and head in f32: the methods round those to
// nearest in the store only, so the model in memory would not compute with what the file holds.
// GPT-2 (synthetic) also covers a fused, transposed (Conv1D) q/k/v and LayerNorm biases.
// (GPT-2's 50k-token vocabulary makes it the slow one: dynamic activations only there.)
struct RoundTripCase {
    std::string model, keep_f32;
    bool static_act;
};

TEST(SmoothQuant, W8A8RoundTripsThroughTheFileBitIdentically) {
    const std::string gpt2 = std::string(LLMRT_SHARED_DIR) + "/models/synthetic/gpt2";
    for (const RoundTripCase &rt : {RoundTripCase{kModel, "token_embd.*=f32;output.*=f32", false},
                                    RoundTripCase{kModel, "token_embd.*=f32;output.*=f32", true},
                                    RoundTripCase{gpt2, "transformer.wte.*=f32;transformer.wpe.*=f32", false}}) {
        const bool static_act = rt.static_act;
        SCOPED_TRACE(rt.model + (static_act ? ": static" : ": dynamic"));
        const std::unique_ptr<Model> original = load_model(rt.model);
        const std::vector<float> f32 = logits_of(*original, kTokens);
        QuantOptions o = smoothquant_options();
        o.smoothquant.static_act = static_act;
        o.tensor_overrides = parse_tensor_overrides(rt.keep_f32);
        const std::unique_ptr<Model> quantized = quantize_model(rt.model, o);
        const std::string path = ::testing::TempDir() + "/smoothquant_roundtrip.llmrt";
        write_quantized_model(*quantized, path, o);
        const std::unique_ptr<Model> reloaded = load_model(path);
        // Every block linear went int8 with its activation mode, which the file carries.
        int linears = 0, with_act = 0;
        for (int64_t il = 0; il < reloaded->hparams().n_layer; ++il)
            for (const BlockLinear &l : reloaded->arch->block_linears(il)) {
                EXPECT_EQ(l.matrix->type->name(), "int8_grow_sym_fp32") << l.name;
                EXPECT_TRUE(static_act ? l.matrix->act_amax > 0.0f : l.matrix->act_amax == kActPerToken) << l.name;
                with_act += stored(*reloaded, act_amax_name(l.name)) != nullptr;
                ++linears;
            }
        EXPECT_GT(linears, 0);
        EXPECT_EQ(with_act, linears);
        const std::vector<float> a = logits_of(*quantized, kTokens), b = logits_of(*reloaded, kTokens);
        ASSERT_EQ(a.size(), b.size());
        double diff = 0.0;
        for (size_t i = 0; i < a.size(); ++i) {
            ASSERT_EQ(a[i], b[i]) << i;
            diff += std::fabs(a[i] - f32[i]);
        }
        EXPECT_GT(diff, 0.0);  // it was quantized
        std::remove(path.c_str());
    }
}

}  // namespace
}  // namespace llmrt
