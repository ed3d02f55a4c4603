// The generation handle (llmrt_generation_*): the pull form, one generation per context, its
// lifetime rules, and the deprecated pull form on the context that it replaces.
#include <cstring>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

const std::string kModel = test::source_path("models/stories260K/stories260K.gguf");
const char kPrompt[] = "Once upon a time";

struct Collected {
    std::string text;
    std::vector<llmrt_token> tokens;
};

int32_t collect(const char *piece, size_t len, int32_t token, void *user_data) {
    auto *c = static_cast<Collected *>(user_data);
    c->text.append(piece, len);
    if (token >= 0) c->tokens.push_back(token);
    return 0;
}

llmrt_generate_params length_params(int32_t n) {
    llmrt_generate_params gp;
    llmrt_generate_params_init(&gp);
    gp.max_new_tokens = n;
    gp.stop_at_eos = 0;
    return gp;
}

// Pulls gen to its end.
Collected pull_all(llmrt_generation *gen) {
    Collected c;
    const char *piece = nullptr;
    size_t len = 0;
    llmrt_token token = -1;
    llmrt_status st;
    while ((st = llmrt_generation_next(gen, &piece, &len, &token)) == LLMRT_OK) {
        EXPECT_EQ(std::strlen(piece), len);
        c.text.append(piece, len);
        if (token >= 0) c.tokens.push_back(token);
    }
    EXPECT_EQ(st, LLMRT_END_OF_GENERATION) << llmrt_last_error();
    return c;
}

TEST(GenerationHandle, PullsWhatTheCallbackFormStreams) {
    auto m = test::load(kModel);
    auto ctx = test::context(m.get(), 256);
    auto s = test::greedy_sampler();
    const llmrt_generate_params gp = length_params(24);
    Collected pushed;
    ASSERT_EQ(llmrt_generate(ctx.get(), s.get(), kPrompt, &gp, collect, &pushed), LLMRT_OK) << llmrt_last_error();

    llmrt_context_reset(ctx.get());
    llmrt_generation *gen = nullptr;
    ASSERT_EQ(llmrt_generation_create(ctx.get(), s.get(), kPrompt, &gp, &gen), LLMRT_OK) << llmrt_last_error();
    ASSERT_NE(gen, nullptr);
    EXPECT_EQ(llmrt_generation_stop_code(gen), LLMRT_STOP_NONE);
    const Collected pulled = pull_all(gen);
    EXPECT_EQ(pulled.text, pushed.text);
    EXPECT_EQ(pulled.tokens, pushed.tokens);
    EXPECT_EQ(pulled.tokens.size(), 24u);
    EXPECT_EQ(llmrt_generation_n_generated(gen), 24);
    EXPECT_EQ(llmrt_generation_stop_code(gen), LLMRT_STOP_LENGTH);
    // The end is sticky: another next says so again.
    const char *piece = nullptr;
    size_t len = 1;
    EXPECT_EQ(llmrt_generation_next(gen, &piece, &len, nullptr), LLMRT_END_OF_GENERATION);
    EXPECT_EQ(len, 0u);
    llmrt_generation_free(gen);
}

TEST(GenerationHandle, OneGenerationPerContext) {
    auto m = test::load(kModel);
    auto ctx = test::context(m.get(), 256);
    auto s = test::greedy_sampler();
    const llmrt_generate_params gp = length_params(4);
    llmrt_generation *gen = nullptr;
    ASSERT_EQ(llmrt_generation_create(ctx.get(), s.get(), kPrompt, &gp, &gen), LLMRT_OK) << llmrt_last_error();

    llmrt_generation *second = reinterpret_cast<llmrt_generation *>(0x1);
    EXPECT_EQ(llmrt_generation_create(ctx.get(), s.get(), kPrompt, &gp, &second), LLMRT_ERR_BUSY);
    EXPECT_EQ(second, nullptr);
    EXPECT_NE(std::string(llmrt_last_error()).find("llmrt_generation_free"), std::string::npos) << llmrt_last_error();
    EXPECT_EQ(llmrt_generate(ctx.get(), s.get(), kPrompt, &gp, nullptr, nullptr), LLMRT_ERR_BUSY);

    llmrt_generation_free(gen);
    ASSERT_EQ(llmrt_generation_create(ctx.get(), s.get(), kPrompt, &gp, &second), LLMRT_OK) << llmrt_last_error();
    // A generation at its end no longer holds the context, even before it is freed.
    pull_all(second);
    ASSERT_EQ(llmrt_generation_create(ctx.get(), s.get(), kPrompt, &gp, &gen), LLMRT_OK) << llmrt_last_error();
    llmrt_generation_free(gen);
    llmrt_generation_free(second);
}

TEST(GenerationHandle, ResetEndsIt) {
    auto m = test::load(kModel);
    auto ctx = test::context(m.get(), 256);
    auto s = test::greedy_sampler();
    const llmrt_generate_params gp = length_params(8);
    llmrt_generation *gen = nullptr;
    ASSERT_EQ(llmrt_generation_create(ctx.get(), s.get(), kPrompt, &gp, &gen), LLMRT_OK) << llmrt_last_error();
    const char *piece = nullptr;
    size_t len = 0;
    ASSERT_EQ(llmrt_generation_next(gen, &piece, &len, nullptr), LLMRT_OK) << llmrt_last_error();
    llmrt_context_reset(ctx.get());
    EXPECT_EQ(llmrt_generation_next(gen, &piece, &len, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find("llmrt_context_reset"), std::string::npos) << llmrt_last_error();
    // The context is free for another generation.
    llmrt_generation *again = nullptr;
    EXPECT_EQ(llmrt_generation_create(ctx.get(), s.get(), kPrompt, &gp, &again), LLMRT_OK) << llmrt_last_error();
    llmrt_generation_free(again);
    llmrt_generation_free(gen);
}

TEST(GenerationHandle, KeepsItsContextAndSamplerAlive) {
    auto m = test::load(kModel);
    llmrt_context *ctx = test::context(m.get(), 256).release();
    llmrt_sampler *s = test::greedy_sampler().release();
    const llmrt_generate_params gp = length_params(12);
    llmrt_generation *gen = nullptr;
    ASSERT_EQ(llmrt_generation_create(ctx, s, kPrompt, &gp, &gen), LLMRT_OK) << llmrt_last_error();
    llmrt_context_free(ctx);
    llmrt_sampler_free(s);
    EXPECT_EQ(pull_all(gen).tokens.size(), 12u);
    llmrt_generation_free(gen);
}

TEST(GenerationHandle, CancelStopsTheNextStepOnly) {
    auto m = test::load(kModel);
    auto ctx = test::context(m.get(), 256);
    auto s = test::greedy_sampler();
    const llmrt_generate_params gp = length_params(6);
    llmrt_generation *gen = nullptr;
    ASSERT_EQ(llmrt_generation_create(ctx.get(), s.get(), kPrompt, &gp, &gen), LLMRT_OK) << llmrt_last_error();
    const char *piece = nullptr;
    size_t len = 0;
    llmrt_context_cancel(ctx.get());
    EXPECT_EQ(llmrt_generation_next(gen, &piece, &len, nullptr), LLMRT_CANCELLED);
    EXPECT_EQ(llmrt_generation_stop_code(gen), LLMRT_STOP_CANCELLED);
    EXPECT_EQ(pull_all(gen).tokens.size(), 6u);
    EXPECT_EQ(llmrt_generation_stop_code(gen), LLMRT_STOP_LENGTH);
    llmrt_generation_free(gen);
}

TEST(GenerationHandle, BadInputGetsAClearStatus) {
    auto m = test::load(kModel);
    auto ctx = test::context(m.get(), 16);
    auto s = test::greedy_sampler();
    llmrt_generation *gen = nullptr;
    EXPECT_EQ(llmrt_generation_create(nullptr, s.get(), kPrompt, nullptr, &gen), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_generation_create(ctx.get(), nullptr, kPrompt, nullptr, &gen), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_generation_create(ctx.get(), s.get(), nullptr, nullptr, &gen), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_generation_create(ctx.get(), s.get(), kPrompt, nullptr, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    llmrt_generate_params gp = length_params(-1);
    EXPECT_EQ(llmrt_generation_create(ctx.get(), s.get(), kPrompt, &gp, &gen), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(gen, nullptr);
    // A prompt longer than the window.
    std::string long_prompt;
    for (int i = 0; i < 40; ++i) long_prompt += "Once upon a time ";
    EXPECT_EQ(llmrt_generation_create(ctx.get(), s.get(), long_prompt.c_str(), nullptr, &gen),
              LLMRT_ERR_CONTEXT_FULL);
    const char *piece = nullptr;
    size_t len = 0;
    EXPECT_EQ(llmrt_generation_next(nullptr, &piece, &len, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_generation_stop_code(nullptr), LLMRT_STOP_NONE);
    EXPECT_EQ(llmrt_generation_n_generated(nullptr), 0);
    llmrt_generation_free(nullptr);
}

// The stop reasons' names are Hugging Face's and Intel's; the deprecated string getter gives the same.
TEST(GenerationHandle, StopReasonsHaveTheirNames) {
    const char *names[] = {"", "length", "eos", "stop_string", "context_full", "cancelled", "callback"};
    const int32_t codes[] = {LLMRT_STOP_NONE,         LLMRT_STOP_LENGTH,    LLMRT_STOP_EOS,     LLMRT_STOP_STRING,
                             LLMRT_STOP_CONTEXT_FULL, LLMRT_STOP_CANCELLED, LLMRT_STOP_CALLBACK};
    for (int32_t i = 0; i < 7; ++i) {
        EXPECT_EQ(codes[i], i);
        EXPECT_STREQ(llmrt_stop_reason_name(codes[i]), names[i]);
    }
    EXPECT_EQ(llmrt_stop_reason_name(7), nullptr);
    EXPECT_EQ(llmrt_stop_reason_name(-1), nullptr);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    EXPECT_STREQ(llmrt_generation_stop_reason(nullptr), "");
#pragma GCC diagnostic pop
}

// Compatibility: the deprecated pull form on the context still works (warnings silenced here only).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
TEST(GenerationHandle, DeprecatedPullFormStillWorks) {
    auto m = test::load(kModel);
    auto ctx = test::context(m.get(), 256);
    auto s = test::greedy_sampler();
    const llmrt_generate_params gp = length_params(10);
    llmrt_generation *gen = nullptr;
    ASSERT_EQ(llmrt_generation_create(ctx.get(), s.get(), kPrompt, &gp, &gen), LLMRT_OK) << llmrt_last_error();
    // Refused while a handle is running on the context.
    EXPECT_EQ(llmrt_generate_begin(ctx.get(), s.get(), kPrompt, &gp), LLMRT_ERR_BUSY);
    const Collected expected = pull_all(gen);
    llmrt_generation_free(gen);

    llmrt_context_reset(ctx.get());
    ASSERT_EQ(llmrt_generate_begin(ctx.get(), s.get(), kPrompt, &gp), LLMRT_OK) << llmrt_last_error();
    Collected got;
    const char *piece = nullptr;
    size_t len = 0;
    llmrt_token token = -1;
    llmrt_status st;
    while ((st = llmrt_generate_next(ctx.get(), &piece, &len, &token)) == LLMRT_OK) {
        got.text.append(piece, len);
        if (token >= 0) got.tokens.push_back(token);
    }
    EXPECT_EQ(st, LLMRT_END_OF_GENERATION);
    EXPECT_EQ(llmrt_generate_stop_code(ctx.get()), LLMRT_STOP_LENGTH);
    EXPECT_STREQ(llmrt_generate_stop_reason(ctx.get()), "length");  // the deprecated string form
    llmrt_generate_end(ctx.get());
    EXPECT_EQ(got.tokens, expected.tokens);
    EXPECT_EQ(got.text, expected.text);
    // The context's pull form gives way to a new handle.
    ASSERT_EQ(llmrt_generate_begin(ctx.get(), s.get(), kPrompt, &gp), LLMRT_OK) << llmrt_last_error();
    ASSERT_EQ(llmrt_generation_create(ctx.get(), s.get(), kPrompt, &gp, &gen), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(llmrt_generate_next(ctx.get(), &piece, &len, &token), LLMRT_ERR_INVALID_ARGUMENT);
    llmrt_generation_free(gen);
}
#pragma GCC diagnostic pop

}  // namespace
