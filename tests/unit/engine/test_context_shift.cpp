// StreamingLLM's shift inside the engine, where the KV cache is visible. Layer 0's keys and
// values depend only on the token and its position, so after shift_roped_k every cached row of
// layer 0 must hold what a fresh evaluation of the kept and remaining tokens at contiguous
// positions puts there: for every RoPE pairing (HF halves, GGUF interleaved), partial rotary,
// Llama 3 frequency scaling and ALiBi, and for every cache type (within its rounding). Plus a
// generation of 4x the window in constant memory, in both modes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/float16.h"
#include "models/model.h"
#include "runtime/context.h"
#include "runtime/generation.h"
#include "runtime/sampler.h"

namespace llmrt {
namespace {

std::string model_path(const std::string &name) {
    if (name == "stories260K") return std::string(LLMRT_SOURCE_DIR) + "/models/stories260K/stories260K.gguf";
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".gguf") == 0)
        return std::string(LLMRT_SHARED_DIR) + "/models/synthetic-gguf/" + name;
    return std::string(LLMRT_SHARED_DIR) + "/models/synthetic/" + name;
}

// Deterministic ids spread over the vocabulary.
std::vector<int32_t> test_ids(int64_t n, int64_t n_vocab) {
    std::vector<int32_t> ids;
    for (int64_t i = 0; i < n; ++i) ids.push_back(static_cast<int32_t>((7 * i + 3) % n_vocab));
    return ids;
}

// One cached element of a layer as f32, whatever the cache's type.
float element(const KvLayerView &view, bool key, int64_t at) {
    const void *data = key ? view.k : view.v;
    switch (view.type) {
    case KvType::F32: return static_cast<const float *>(data)[at];
    case KvType::F16: return f16_to_f32(static_cast<const uint16_t *>(data)[at]);
    case KvType::BF16: return bf16_to_f32(static_cast<const uint16_t *>(data)[at]);
    case KvType::Int8:
        return static_cast<float>(static_cast<const int8_t *>(data)[at]) *
               (key ? view.k_scale_at(at) : view.v_scale_at(at));
    }
    return NAN;
}

// How far the shifted row may be from the fresh one. f32: the brief's 1e-5, absolute. f16 and
// bf16: the shifted key was rounded, rotated (which turns its rounding error, under half a unit
// per component, by at most sqrt(2)) and rounded again, so the two roundings land at most one
// unit in the last place apart: 2^-10 (f16) or 2^-7 (bf16) of the row's largest magnitude; half
// as much again for the f32 rotation's own error near a rounding boundary. q8: a step is
// max|x| / 127 per head row, the same reasoning with the scale recomputed: two steps.
double tolerance(KvType type, double row_max) {
    switch (type) {
    case KvType::F32: return 1e-5;
    case KvType::F16: return 1.5 * std::ldexp(1.0, -10) * row_max;
    case KvType::BF16: return 1.5 * std::ldexp(1.0, -7) * row_max;
    case KvType::Int8: return 2.0 * row_max / 127.0;
    }
    return 0.0;
}

struct Case {
    std::string model;
    KvType kv;
};

std::string case_name(const ::testing::TestParamInfo<Case> &info) {
    std::string name = info.param.model + "_" + kv_type_name(info.param.kv);
    std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
    return name;
}

class ShiftRopedK : public ::testing::TestWithParam<Case> {};

TEST_P(ShiftRopedK, LayerZeroRowsMatchAFreshEvaluation) {
    const Case c = GetParam();
    const std::unique_ptr<Model> model = load_model(model_path(c.model));
    ContextOptions opt;
    opt.n_ctx = 256;
    opt.n_threads = 2;
    opt.kv_type = c.kv;
    const int64_t n_keep = 4, n_discard = 100, n_total = 200;
    const std::vector<int32_t> ids = test_ids(n_total, model->hparams().n_vocab);

    Context shifted(*model, opt);
    shifted.decode(ids.data(), n_total);
    shifted.shift(n_keep, n_discard, ShiftMode::RopedK);
    ASSERT_EQ(shifted.n_past(), n_total - n_discard);

    std::vector<int32_t> kept(ids.begin(), ids.begin() + n_keep);
    kept.insert(kept.end(), ids.begin() + n_keep + n_discard, ids.end());
    EXPECT_EQ(shifted.tokens(), kept);
    Context fresh(*model, opt);
    fresh.decode(kept.data(), static_cast<int64_t>(kept.size()));

    const KvLayerView a = shifted.cache().layer(0), b = fresh.cache().layer(0);
    const int64_t kv_dim = model->arch->kv_dim();
    double worst_ratio = 0.0, worst_diff = 0.0;  // worst |diff| / tolerance, and its |diff|
    for (int64_t pos = 0; pos < static_cast<int64_t>(kept.size()); ++pos) {
        for (bool key : {true, false}) {
            double row_max = 0.0;
            for (int64_t i = 0; i < kv_dim; ++i)
                row_max = std::max(row_max, std::fabs(static_cast<double>(element(b, key, pos * kv_dim + i))));
            const double tol = tolerance(c.kv, row_max);
            for (int64_t i = 0; i < kv_dim; ++i) {
                const double d = std::fabs(static_cast<double>(element(a, key, pos * kv_dim + i)) -
                                           element(b, key, pos * kv_dim + i));
                if (d / tol > worst_ratio) {
                    worst_ratio = d / tol;
                    worst_diff = d;
                }
            }
        }
    }
    std::printf("%s %s: worst layer-0 |shifted - fresh| %.3g (%.2f of the tolerance)\n", c.model.c_str(),
                kv_type_name(c.kv), worst_diff, worst_ratio);
    EXPECT_LE(worst_ratio, 1.0);
}

std::vector<Case> cases() {
    // RoPE: stories260K's GGUF (interleaved pairs), HF llama (halves), Llama 3 scaling (llama32,
    // HF and GGUF's rope_freqs), partial rotary (phi, gpt_neox, stablelm), GPT-J's absolute
    // rotary dims, ChatGLM; ALiBi: bloom, mpt.
    const char *rope[] = {"stories260K", "llama",     "llama.gguf", "llama32", "llama32.gguf", "phi",  "phi.gguf",
                          "gpt_neox",    "stablelm",  "gptj",       "chatglm", "qwen2",        "bloom", "mpt"};
    std::vector<Case> out;
    for (const char *m : rope) out.push_back({m, KvType::F32});
    for (KvType t : {KvType::F16, KvType::BF16, KvType::Int8}) {
        out.push_back({"stories260K", t});
        out.push_back({"phi", t});
        out.push_back({"bloom", t});
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(Models, ShiftRopedK, ::testing::ValuesIn(cases()), case_name);

TEST(ContextShift, LearnedPositionsRefuseRopedKAndKeepTheCache) {
    const std::unique_ptr<Model> model = load_model(model_path("gpt2"));
    ContextOptions opt;
    opt.n_ctx = 64;
    opt.n_threads = 2;
    Context ctx(*model, opt);
    const std::vector<int32_t> ids = test_ids(40, model->hparams().n_vocab);
    ctx.decode(ids.data(), 40);
    try {
        ctx.shift(4, 10, ShiftMode::RopedK);
        FAIL() << "shift_roped_k on learned positions did not throw";
    } catch (const Error &e) {
        EXPECT_EQ(e.status(), Status::Unsupported);
        EXPECT_NE(std::string(e.what()).find("learned"), std::string::npos) << e.what();
    }
    EXPECT_EQ(ctx.n_past(), 40);
    EXPECT_EQ(ctx.tokens(), ids);
    ctx.shift(4, 10, ShiftMode::Reevaluate);
    EXPECT_EQ(ctx.n_past(), 30);
}

// 4x the window, greedy: the cache never grows and never holds more than n_ctx positions.
class EndlessGeneration : public ::testing::TestWithParam<ShiftMode> {};

TEST_P(EndlessGeneration, RunsFourWindowsInConstantMemory) {
    const std::unique_ptr<Model> model = load_model(model_path("stories260K"));
    ContextOptions opt;
    opt.n_ctx = 64;
    opt.n_threads = 2;
    Context ctx(*model, opt);
    SamplerOptions greedy;
    greedy.temperature = 0.0f;
    Sampler sampler(greedy);
    GenerateOptions gen;
    gen.max_new_tokens = 4 * opt.n_ctx;
    gen.stop_at_eos = false;
    gen.shift_mode = GetParam();
    const size_t cache_bytes = ctx.cache().nbytes();
    Generation generation(ctx, sampler, "Once upon a time", gen);
    GeneratedPiece piece;
    int64_t n_tokens = 0, max_past = 0, shifts = 0, last_past = ctx.n_past();
    while (generation.next(piece)) {
        if (piece.token < 0) continue;
        ++n_tokens;
        max_past = std::max(max_past, ctx.n_past());
        shifts += ctx.n_past() < last_past;
        last_past = ctx.n_past();
        ASSERT_EQ(static_cast<int64_t>(ctx.tokens().size()), ctx.n_past());
    }
    EXPECT_EQ(generation.stop_reason(), StopReason::Length);
    EXPECT_EQ(n_tokens, 4 * opt.n_ctx);
    EXPECT_LE(max_past, opt.n_ctx);
    EXPECT_GE(shifts, 4);  // n_keep 4, n_discard 30: one shift every 30 tokens
    EXPECT_EQ(ctx.cache().nbytes(), cache_bytes);
}

INSTANTIATE_TEST_SUITE_P(Modes, EndlessGeneration, ::testing::Values(ShiftMode::Reevaluate, ShiftMode::RopedK),
                         [](const ::testing::TestParamInfo<ShiftMode> &info) {
                             return info.param == ShiftMode::Reevaluate ? std::string("reevaluate")
                                                                        : std::string("roped_k");
                         });

}  // namespace
}  // namespace llmrt
