// Sampler processors and the stop callback through the C API, on stories260K: what a caller of
// llmrt.h sees, checked against properties computed here from the tokens and logits.
#include <cmath>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "test_support.h"

// These tests also cover the pull form on the context
// (llmrt_generate_begin/_next/_end), deprecated but kept working: their warnings are expected here.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

const std::string kModel = test::source_path("models/stories260K/stories260K.gguf");
const char *kPrompt = "Once upon a time";

test::SamplerPtr greedy(int32_t no_repeat_ngram_size, const std::vector<llmrt_logit_bias> &bias = {}) {
    llmrt_sampler_params p;
    llmrt_sampler_params_init(&p);
    p.temperature = 0.0f;
    p.no_repeat_ngram_size = no_repeat_ngram_size;
    p.logit_bias = bias.data();
    p.n_logit_bias = static_cast<int32_t>(bias.size());
    llmrt_sampler *s = nullptr;
    EXPECT_EQ(llmrt_sampler_create(&p, &s), LLMRT_OK) << llmrt_last_error();
    return test::SamplerPtr(s);
}

// Every token id of a pull-form generation (the callback form skips tokens without text).
// *stop_reason (if given) receives why it ended.
std::vector<llmrt_token> generate_ids(llmrt_context *ctx, llmrt_sampler *s, const llmrt_generate_params &gp,
                                      int32_t *stop_reason = nullptr) {
    std::vector<llmrt_token> ids;
    llmrt_generation *gen = nullptr;
    EXPECT_EQ(llmrt_generation_create(ctx, s, kPrompt, &gp, &gen), LLMRT_OK) << llmrt_last_error();
    const char *piece = nullptr;
    size_t len = 0;
    llmrt_token token = -1;
    llmrt_status st;
    while ((st = llmrt_generation_next(gen, &piece, &len, &token)) == LLMRT_OK)
        if (token >= 0) ids.push_back(token);
    EXPECT_EQ(st, LLMRT_END_OF_GENERATION) << llmrt_last_error();
    if (stop_reason) *stop_reason = llmrt_generation_stop_code(gen);
    llmrt_generation_free(gen);
    return ids;
}

llmrt_generate_params length_only(int32_t max_new_tokens) {
    llmrt_generate_params gp;
    llmrt_generate_params_init(&gp);
    gp.max_new_tokens = max_new_tokens;
    gp.stop_at_eos = 0;  // only the stops under test end it
    return gp;
}

int repeated_bigrams(const std::vector<llmrt_token> &seq) {
    std::set<std::pair<llmrt_token, llmrt_token>> seen;
    int repeats = 0;
    for (size_t i = 0; i + 1 < seq.size(); ++i) repeats += !seen.insert({seq[i], seq[i + 1]}).second;
    return repeats;
}

TEST(SamplingStops, NoRepeatNgramSizeTwoNeverRepeatsABigramOfPromptAndOutput) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    const std::vector<llmrt_token> prompt = test::tokenize(m.get(), kPrompt);
    for (int32_t n : {0, 2}) {
        auto ctx = test::context(m.get());
        auto s = greedy(n);
        std::vector<llmrt_token> seq = prompt;
        const std::vector<llmrt_token> out = generate_ids(ctx.get(), s.get(), length_only(80));
        ASSERT_EQ(out.size(), 80u);
        seq.insert(seq.end(), out.begin(), out.end());
        if (n == 0)
            EXPECT_GT(repeated_bigrams(seq), 0) << "greedy decoding without the ban repeats itself";
        else
            EXPECT_EQ(repeated_bigrams(seq), 0);
    }
}

TEST(SamplingStops, LogitBiasMinusInfOnTheGreedyFirstTokenChangesIt) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    const int32_t n_vocab = llmrt_model_n_vocab(m.get());
    // The prompt's next-token logits, read directly: the banned pick must be their runner-up.
    auto probe = test::context(m.get());
    const std::vector<llmrt_token> prompt = test::tokenize(m.get(), kPrompt);
    ASSERT_EQ(llmrt_decode(probe.get(), prompt.data(), static_cast<int32_t>(prompt.size())), LLMRT_OK);
    std::vector<float> logits(llmrt_get_logits(probe.get()), llmrt_get_logits(probe.get()) + n_vocab);
    const llmrt_token first = test::argmax(logits.data(), n_vocab);
    logits[static_cast<size_t>(first)] = -INFINITY;
    const llmrt_token runner_up = test::argmax(logits.data(), n_vocab);

    auto ctx = test::context(m.get());
    EXPECT_EQ(generate_ids(ctx.get(), greedy(0).get(), length_only(1)), std::vector<llmrt_token>{first});
    llmrt_context_reset(ctx.get());
    auto banned = greedy(0, {{first, -INFINITY}});
    EXPECT_EQ(generate_ids(ctx.get(), banned.get(), length_only(1)), std::vector<llmrt_token>{runner_up});
}

TEST(SamplingStops, LogitBiasOutsideTheVocabularyNamesTheId) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    const int32_t bad = llmrt_model_n_vocab(m.get());
    auto ctx = test::context(m.get());
    auto s = greedy(0, {{bad, 1.0f}});
    const llmrt_generate_params gp = length_only(1);
    ASSERT_EQ(llmrt_generate_begin(ctx.get(), s.get(), kPrompt, &gp), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find(std::to_string(bad)), std::string::npos) << llmrt_last_error();
}

struct StopAt {
    int32_t count;
    std::vector<llmrt_token> last_seen;
    int calls = 0;
};

int32_t stop_at(const llmrt_token *generated, int32_t n, void *user_data) {
    auto *s = static_cast<StopAt *>(user_data);
    ++s->calls;
    s->last_seen.assign(generated, generated + n);
    return n >= s->count ? 1 : 0;
}

TEST(SamplingStops, StopCallbackStopsAtExactlyTheRequestedCount) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    auto ctx = test::context(m.get());
    auto s = greedy(0);
    StopAt stop{7, {}};
    llmrt_generate_params gp = length_only(50);
    gp.stop_callback = stop_at;
    gp.stop_user_data = &stop;
    int32_t reason = LLMRT_STOP_NONE;
    const std::vector<llmrt_token> out = generate_ids(ctx.get(), s.get(), gp, &reason);
    EXPECT_EQ(out.size(), 7u);
    EXPECT_EQ(stop.last_seen, out);  // it saw exactly the ids produced
    EXPECT_EQ(stop.calls, 7);
    EXPECT_EQ(reason, LLMRT_STOP_CALLBACK);

    // The callback form ends the same way, with LLMRT_OK (not a cancel).
    llmrt_context_reset(ctx.get());
    llmrt_sampler_reset(s.get());
    stop = StopAt{3, {}};
    EXPECT_EQ(llmrt_generate(ctx.get(), s.get(), kPrompt, &gp, nullptr, nullptr), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(stop.last_seen, std::vector<llmrt_token>(out.begin(), out.begin() + 3));
    EXPECT_EQ(llmrt_generate_stop_code(ctx.get()), LLMRT_STOP_CALLBACK);
}

TEST(SamplingStops, StopCallbackIsNotAskedBeforeMinNewTokens) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    auto ctx = test::context(m.get());
    auto s = greedy(0);
    StopAt stop{1, {}};  // would stop at once
    llmrt_generate_params gp = length_only(50);
    gp.min_new_tokens = 6;
    gp.stop_callback = stop_at;
    gp.stop_user_data = &stop;
    int32_t reason = LLMRT_STOP_NONE;
    EXPECT_EQ(generate_ids(ctx.get(), s.get(), gp, &reason).size(), 6u);
    EXPECT_EQ(stop.calls, 1);
    EXPECT_EQ(reason, LLMRT_STOP_CALLBACK);
}

}  // namespace
