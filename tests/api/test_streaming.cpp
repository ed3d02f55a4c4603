// StreamingLLM through the C API: llmrt_context_shift and the generate params' shift_mode,
// n_keep and n_discard. Re-evaluation must give the logits of a fresh context that evaluated the
// kept and remaining tokens at contiguous positions; shift_roped_k's distance from it is measured
// and printed (its exact part, layer 0's cache rows, is checked in tests/unit/engine); a
// generation of 4x the window completes in both modes; learned positions refuse shift_roped_k.
#include <cmath>
#include <cstdio>

#include "test_support.h"

namespace {

std::string model_path(const std::string &name) {
    if (name == "stories260K") return test::source_path("models/stories260K/stories260K.gguf");
    if (name == "debdoc8M") return test::shared_path("models/debdoc-8M-hf");  // trained, unlike the synthetic ones
    return test::shared_path("models/synthetic/" + name);
}

std::vector<int32_t> test_ids(int32_t n, int32_t n_vocab) {
    std::vector<int32_t> ids;
    for (int32_t i = 0; i < n; ++i) ids.push_back((7 * i + 3) % n_vocab);
    return ids;
}

std::vector<float> last_logits(llmrt_context *ctx, int32_t n_vocab) {
    const float *l = llmrt_get_logits(ctx);
    EXPECT_NE(l, nullptr);
    return l ? std::vector<float>(l, l + n_vocab) : std::vector<float>(static_cast<size_t>(n_vocab), NAN);
}

double max_abs_diff(const std::vector<float> &a, const std::vector<float> &b) {
    double m = 0.0;
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
    return m;
}

constexpr int32_t kCtx = 64, kTotal = 50, kKeep = 4, kDiscard = 20;

// ids evaluated in ctx, then shifted; and the same sequence evaluated fresh.
struct Shifted {
    test::ContextPtr ctx, fresh;
    std::vector<int32_t> kept;  // what the shifted cache holds
};

Shifted shift_and_fresh(llmrt_model *m, int32_t mode) {
    Shifted s;
    const std::vector<int32_t> ids = test_ids(kTotal, llmrt_model_n_vocab(m));
    s.ctx = test::context(m, kCtx);
    EXPECT_EQ(llmrt_decode(s.ctx.get(), ids.data(), kTotal), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(llmrt_context_shift(s.ctx.get(), kKeep, kDiscard, mode), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(llmrt_context_n_past(s.ctx.get()), kTotal - kDiscard);
    s.kept.assign(ids.begin(), ids.begin() + kKeep);
    s.kept.insert(s.kept.end(), ids.begin() + kKeep + kDiscard, ids.end());
    s.fresh = test::context(m, kCtx);
    EXPECT_EQ(llmrt_decode(s.fresh.get(), s.kept.data(), static_cast<int32_t>(s.kept.size())), LLMRT_OK);
    return s;
}

class StreamingModels : public ::testing::TestWithParam<std::string> {};

// (a) The logits right after the shift and after one more token, against the fresh context.
TEST_P(StreamingModels, ReevaluateEqualsAFreshContext) {
    auto model = test::load(model_path(GetParam()));
    ASSERT_TRUE(model);
    const int32_t vocab = llmrt_model_n_vocab(model.get());
    Shifted s = shift_and_fresh(model.get(), LLMRT_SHIFT_REEVALUATE);
    EXPECT_LT(max_abs_diff(last_logits(s.ctx.get(), vocab), last_logits(s.fresh.get(), vocab)), 1e-4);
    const int32_t next = 5 % vocab;
    ASSERT_EQ(llmrt_decode(s.ctx.get(), &next, 1), LLMRT_OK);
    ASSERT_EQ(llmrt_decode(s.fresh.get(), &next, 1), LLMRT_OK);
    EXPECT_LT(max_abs_diff(last_logits(s.ctx.get(), vocab), last_logits(s.fresh.get(), vocab)), 1e-4);
}

// (b) shift_roped_k keeps the deeper layers' rows as they were computed (with the dropped
// tokens in view), so its logits differ from re-evaluation by that, not by rounding: measured
// here and printed (README), checked to be finite and the cache to be usable.
TEST_P(StreamingModels, RopedKStaysNearReevaluation) {
    auto model = test::load(model_path(GetParam()));
    ASSERT_TRUE(model);
    const int32_t vocab = llmrt_model_n_vocab(model.get());
    Shifted s = shift_and_fresh(model.get(), LLMRT_SHIFT_ROPED_K);
    const int32_t next = 5 % vocab;
    ASSERT_EQ(llmrt_decode(s.ctx.get(), &next, 1), LLMRT_OK) << llmrt_last_error();
    ASSERT_EQ(llmrt_decode(s.fresh.get(), &next, 1), LLMRT_OK);
    const std::vector<float> a = last_logits(s.ctx.get(), vocab), b = last_logits(s.fresh.get(), vocab);
    for (float x : a) ASSERT_TRUE(std::isfinite(x));
    double spread = 0.0;  // the scale of the logits, to read the difference against
    for (float x : b) spread = std::max(spread, std::fabs(static_cast<double>(x)));
    std::printf("%s: shift_roped_k vs re-evaluation, next-token logits: max |diff| %.4g (max |logit| %.3g), "
                "argmax %d vs %d\n",
                GetParam().c_str(), max_abs_diff(a, b), spread, test::argmax(a.data(), vocab),
                test::argmax(b.data(), vocab));
    EXPECT_EQ(llmrt_context_n_past(s.ctx.get()), kTotal - kDiscard + 1);
}

INSTANTIATE_TEST_SUITE_P(Families, StreamingModels,
                         ::testing::Values("stories260K", "debdoc8M", "llama", "llama32", "phi", "gptj", "gpt_neox", "bloom",
                                           "mpt"),
                         [](const ::testing::TestParamInfo<std::string> &info) { return info.param; });

TEST(Streaming, ReevaluateWorksForLearnedPositions) {
    for (const char *name : {"gpt2", "opt"}) {
        SCOPED_TRACE(name);
        auto model = test::load(model_path(name));
        ASSERT_TRUE(model);
        const int32_t vocab = llmrt_model_n_vocab(model.get());
        Shifted s = shift_and_fresh(model.get(), LLMRT_SHIFT_REEVALUATE);
        EXPECT_LT(max_abs_diff(last_logits(s.ctx.get(), vocab), last_logits(s.fresh.get(), vocab)), 1e-4);
    }
}

// (d) Learned positions refuse shift_roped_k, from the explicit call (changing nothing) and
// when a generation begins (before the prompt is evaluated).
TEST(Streaming, LearnedPositionsRefuseRopedK) {
    for (const char *name : {"gpt2", "opt"}) {
        SCOPED_TRACE(name);
        auto model = test::load(model_path(name));
        ASSERT_TRUE(model);
        auto ctx = test::context(model.get(), kCtx);
        const std::vector<int32_t> ids = test_ids(kTotal, llmrt_model_n_vocab(model.get()));
        ASSERT_EQ(llmrt_decode(ctx.get(), ids.data(), kTotal), LLMRT_OK);
        EXPECT_EQ(llmrt_context_shift(ctx.get(), kKeep, kDiscard, LLMRT_SHIFT_ROPED_K), LLMRT_ERR_UNSUPPORTED);
        EXPECT_NE(std::string(llmrt_last_error()).find("learned absolute position"), std::string::npos)
            << llmrt_last_error();
        EXPECT_EQ(llmrt_context_n_past(ctx.get()), kTotal);

        llmrt_context_reset(ctx.get());
        auto sampler = test::greedy_sampler();
        llmrt_generate_params p;
        llmrt_generate_params_init(&p);
        p.shift_mode = LLMRT_SHIFT_ROPED_K;
        EXPECT_EQ(llmrt_generate(ctx.get(), sampler.get(), "hello", &p, nullptr, nullptr), LLMRT_ERR_UNSUPPORTED);
        EXPECT_EQ(llmrt_context_n_past(ctx.get()), 0);
    }
}

struct EndlessRun {
    llmrt_context *ctx;
    int32_t max_past = 0;
    int32_t tokens = 0;
};

int32_t watch_n_past(const char *, size_t, int32_t token, void *user_data) {
    auto *run = static_cast<EndlessRun *>(user_data);
    run->tokens += token >= 0;
    run->max_past = std::max(run->max_past, llmrt_context_n_past(run->ctx));
    return 0;
}

// (c) 4x the window, in both modes, on a RoPE and an ALiBi family.
TEST(Streaming, GeneratesFourWindowsInBothModes) {
    for (const char *name : {"stories260K", "bloom"}) {
        auto model = test::load(model_path(name));
        ASSERT_TRUE(model);
        for (int32_t mode : {LLMRT_SHIFT_REEVALUATE, LLMRT_SHIFT_ROPED_K}) {
            SCOPED_TRACE(std::string(name) + " mode " + std::to_string(mode));
            auto ctx = test::context(model.get(), kCtx);
            auto sampler = test::greedy_sampler();
            llmrt_generate_params p;
            llmrt_generate_params_init(&p);
            p.max_new_tokens = 4 * kCtx;
            p.stop_at_eos = 0;
            p.shift_mode = mode;
            EndlessRun run{ctx.get()};
            ASSERT_EQ(llmrt_generate(ctx.get(), sampler.get(), "Once upon a time", &p, watch_n_past, &run), LLMRT_OK)
                << llmrt_last_error();
            EXPECT_EQ(run.tokens, 4 * kCtx);
            EXPECT_LE(run.max_past, kCtx);
            EXPECT_EQ(llmrt_generate_stop_code(ctx.get()), LLMRT_STOP_LENGTH);
        }
    }
}

TEST(Streaming, OffStillStopsWhenTheContextIsFull) {
    auto model = test::load(model_path("stories260K"));
    auto ctx = test::context(model.get(), kCtx);
    auto sampler = test::greedy_sampler();
    llmrt_generate_params p;
    llmrt_generate_params_init(&p);
    EXPECT_EQ(p.shift_mode, LLMRT_SHIFT_OFF);
    EXPECT_EQ(p.n_keep, 4);
    EXPECT_EQ(p.n_discard, -1);
    p.max_new_tokens = 4 * kCtx;
    p.stop_at_eos = 0;
    ASSERT_EQ(llmrt_generate(ctx.get(), sampler.get(), "Once upon a time", &p, nullptr, nullptr), LLMRT_OK);
    EXPECT_EQ(llmrt_generate_stop_code(ctx.get()), LLMRT_STOP_CONTEXT_FULL);
}

// (d) Bad parameters: a status and a message, never a crash; the cache is left as it was.
TEST(Streaming, BadParametersAreInvalidArguments) {
    auto model = test::load(model_path("stories260K"));
    auto ctx = test::context(model.get(), kCtx);
    auto sampler = test::greedy_sampler();
    struct Bad {
        int32_t mode, keep, discard;
    };
    const Bad bad_generate[] = {
        {LLMRT_SHIFT_REEVALUATE, kCtx, -1},      // n_keep >= n_ctx
        {LLMRT_SHIFT_REEVALUATE, kCtx + 5, 1},   // n_keep >= n_ctx
        {LLMRT_SHIFT_REEVALUATE, 4, 0},          // n_discard 0
        {LLMRT_SHIFT_ROPED_K, 4, -2},            // below -1
        {LLMRT_SHIFT_ROPED_K, -2, -1},           // below -1
        {LLMRT_SHIFT_REEVALUATE, 10, kCtx - 9},  // n_keep + n_discard > n_ctx
        {LLMRT_SHIFT_REEVALUATE, kCtx - 1, -1},  // the default discards (n_ctx - n_keep) / 2 = 0
        {7, 4, -1},                              // no such mode
    };
    for (const Bad &b : bad_generate) {
        SCOPED_TRACE("mode " + std::to_string(b.mode) + " keep " + std::to_string(b.keep) + " discard " +
                     std::to_string(b.discard));
        llmrt_generate_params p;
        llmrt_generate_params_init(&p);
        p.shift_mode = b.mode;
        p.n_keep = b.keep;
        p.n_discard = b.discard;
        EXPECT_EQ(llmrt_generate(ctx.get(), sampler.get(), "Once", &p, nullptr, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
        EXPECT_GT(std::string(llmrt_last_error()).size(), 10u);
        EXPECT_EQ(llmrt_context_n_past(ctx.get()), 0);  // refused before the prompt was evaluated
    }
    // n_keep = -1 (the whole prompt) with a prompt one token short of the window: the default
    // n_discard, (n_ctx - n_keep) / 2, is 0.
    {
        const char *prompt = "Once upon a time there was a little girl";
        const int32_t n_prompt = static_cast<int32_t>(test::tokenize(model.get(), prompt).size());
        auto small = test::context(model.get(), n_prompt + 1);
        llmrt_generate_params p;
        llmrt_generate_params_init(&p);
        p.shift_mode = LLMRT_SHIFT_REEVALUATE;
        p.n_keep = -1;
        EXPECT_EQ(llmrt_generate(small.get(), sampler.get(), prompt, &p, nullptr, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
        EXPECT_NE(std::string(llmrt_last_error()).find("n_discard 0"), std::string::npos) << llmrt_last_error();
    }

    const std::vector<int32_t> toks = test_ids(30, llmrt_model_n_vocab(model.get()));
    ASSERT_EQ(llmrt_decode(ctx.get(), toks.data(), 30), LLMRT_OK);
    const Bad bad_shift[] = {
        {LLMRT_SHIFT_OFF, 4, 10},        {LLMRT_SHIFT_REEVALUATE, 30, 1}, {LLMRT_SHIFT_REEVALUATE, -1, 10},
        {LLMRT_SHIFT_ROPED_K, 4, 0},     {LLMRT_SHIFT_ROPED_K, 4, -2},    {LLMRT_SHIFT_ROPED_K, 4, 27},
        {LLMRT_SHIFT_REEVALUATE, 29, -1}, {9, 4, 10},
    };
    for (const Bad &b : bad_shift) {
        SCOPED_TRACE("shift mode " + std::to_string(b.mode) + " keep " + std::to_string(b.keep) + " discard " +
                     std::to_string(b.discard));
        EXPECT_EQ(llmrt_context_shift(ctx.get(), b.keep, b.discard, b.mode), LLMRT_ERR_INVALID_ARGUMENT);
        EXPECT_EQ(llmrt_context_n_past(ctx.get()), 30);
    }
    EXPECT_EQ(llmrt_context_shift(nullptr, 4, 10, LLMRT_SHIFT_REEVALUATE), LLMRT_ERR_INVALID_ARGUMENT);
    // The default n_discard: half of what follows n_keep.
    EXPECT_EQ(llmrt_context_shift(ctx.get(), 4, -1, LLMRT_SHIFT_ROPED_K), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(llmrt_context_n_past(ctx.get()), 30 - 13);
}

}  // namespace
