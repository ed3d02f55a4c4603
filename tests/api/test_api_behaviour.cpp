// The C API's contract: statuses and messages, buffers, params structs, cancellation, streaming.
#include <atomic>
#include <cstring>
#include <thread>

#include "test_support.h"

// These tests also cover the pull form on the context
// (llmrt_generate_begin/_next/_end), deprecated but kept working: their warnings are expected here.
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

const std::string kModel = test::source_path("models/stories260K/stories260K.gguf");

TEST(Api, VersionAndStatusStrings) {
    EXPECT_EQ(llmrt_api_version(), static_cast<uint32_t>(LLMRT_API_VERSION));
    EXPECT_EQ(llmrt_api_version_minor(), static_cast<uint32_t>(LLMRT_API_VERSION_MINOR));
    EXPECT_STRNE(llmrt_version_string(), "");
    EXPECT_STREQ(llmrt_status_string(LLMRT_OK), "ok");
    EXPECT_STREQ(llmrt_status_string(LLMRT_ERR_CONTEXT_FULL), "context full");
    EXPECT_STREQ(llmrt_status_string(12345), "unknown status");
}

TEST(Api, MissingFileNamesThePath) {
    llmrt_model *m = reinterpret_cast<llmrt_model *>(0x1);
    EXPECT_EQ(llmrt_model_load("/nonexistent/model.gguf", nullptr, &m), LLMRT_ERR_IO);
    EXPECT_EQ(m, nullptr);
    EXPECT_NE(std::string(llmrt_last_error()).find("/nonexistent/model.gguf"), std::string::npos) << llmrt_last_error();
}

TEST(Api, NullArgumentsAreRejected) {
    EXPECT_EQ(llmrt_model_load(nullptr, nullptr, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_context_create(nullptr, nullptr, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    llmrt_context *c = nullptr;
    EXPECT_EQ(llmrt_context_create(nullptr, nullptr, &c), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_STRNE(llmrt_last_error(), "");
    llmrt_model_free(nullptr);
    llmrt_context_free(nullptr);
    llmrt_sampler_free(nullptr);
}

TEST(Api, ErrorMessageIsPerThread) {
    llmrt_model *m = nullptr;
    EXPECT_NE(llmrt_model_load("/nonexistent/a", nullptr, &m), LLMRT_OK);
    std::thread([] { EXPECT_STREQ(llmrt_last_error(), ""); }).join();
    EXPECT_STRNE(llmrt_last_error(), "");
}

TEST(Api, LogCallbackReceivesMessagesAtTheChosenLevel) {
    std::vector<std::string> messages;
    llmrt_set_log_callback(
        [](int32_t level, const char *message, void *user_data) {
            if (level == LLMRT_LOG_INFO) static_cast<std::vector<std::string> *>(user_data)->emplace_back(message);
        },
        &messages);
    llmrt_set_log_level(LLMRT_LOG_INFO);
    { auto m = test::load(kModel); }
    llmrt_set_log_level(LLMRT_LOG_WARN);
    { auto m = test::load(kModel); }
    llmrt_set_log_callback(nullptr, nullptr);
    ASSERT_EQ(messages.size(), 1u);
    EXPECT_NE(messages[0].find("stories260K.gguf"), std::string::npos) << messages[0];
}

TEST(Api, Introspection) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    EXPECT_STREQ(llmrt_model_architecture(m.get()), "llama");
    EXPECT_STREQ(llmrt_model_weight_type(m.get()), "f32");
    EXPECT_EQ(llmrt_model_n_vocab(m.get()), 512);
    EXPECT_EQ(llmrt_model_n_embd(m.get()), 64);
    EXPECT_EQ(llmrt_model_n_layer(m.get()), 5);
    EXPECT_EQ(llmrt_model_n_ctx_train(m.get()), 2048);
    EXPECT_EQ(llmrt_model_bos(m.get()), 1);
    EXPECT_EQ(llmrt_model_eos(m.get()), 2);
    // 260K parameters, counting the separate output matrix the GGUF file stores.
    EXPECT_GT(llmrt_model_n_params(m.get()), 250000u);
    EXPECT_EQ(llmrt_model_weight_bytes(m.get()), 4 * llmrt_model_n_params(m.get()));
}

TEST(Api, TokenizeReportsNeededCapacity) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    int32_t ids[2];
    int32_t n = 0;
    EXPECT_EQ(llmrt_tokenize(m.get(), "Once upon a time", 1, ids, 2, &n), LLMRT_ERR_BUFFER_TOO_SMALL);
    EXPECT_EQ(n, 5);
    char buf[4];
    size_t len = 0;
    EXPECT_EQ(llmrt_token_to_piece_v2(m.get(), 383, buf, 4, &len), LLMRT_ERR_BUFFER_TOO_SMALL);
    EXPECT_EQ(len, 6u);  // " there"
    EXPECT_EQ(llmrt_token_to_piece_v2(m.get(), 383, nullptr, 0, &len), LLMRT_ERR_BUFFER_TOO_SMALL);  // asks the size
    EXPECT_EQ(len, 6u);
    EXPECT_EQ(llmrt_token_to_piece_v2(m.get(), 9999, buf, 4, &len), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_token_to_piece_v2(m.get(), 383, nullptr, 4, &len), LLMRT_ERR_INVALID_ARGUMENT);
    // The deprecated int32_t form gives the same.
    int32_t len32 = 0;
    EXPECT_EQ(llmrt_token_to_piece(m.get(), 383, buf, 4, &len32), LLMRT_ERR_BUFFER_TOO_SMALL);
    EXPECT_EQ(len32, 6);
    EXPECT_EQ(llmrt_token_to_piece(m.get(), 383, buf, -1, &len32), LLMRT_ERR_INVALID_ARGUMENT);
}

TEST(Api, DetokenizeRoundTrip) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    const auto ids = test::tokenize(m.get(), "Once upon a time");
    char buf[64];
    size_t len = 0;
    ASSERT_EQ(llmrt_detokenize_v2(m.get(), ids.data(), static_cast<int32_t>(ids.size()), 1, buf, sizeof buf, &len),
              LLMRT_OK);
    EXPECT_STREQ(buf, "Once upon a time");
    EXPECT_EQ(len, 16u);
    EXPECT_EQ(llmrt_detokenize_v2(m.get(), ids.data(), static_cast<int32_t>(ids.size()), 1, buf, 16, &len),
              LLMRT_ERR_BUFFER_TOO_SMALL);  // no room for the terminator
    int32_t len32 = 0;  // the deprecated int32_t form
    ASSERT_EQ(llmrt_detokenize(m.get(), ids.data(), static_cast<int32_t>(ids.size()), 1, buf, sizeof buf, &len32),
              LLMRT_OK);
    EXPECT_STREQ(buf, "Once upon a time");
    EXPECT_EQ(len32, 16);
}

TEST(Api, OlderSmallerParamsStructGetsDefaultsForTheRest) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    llmrt_context_params p;
    llmrt_context_params_init(&p);
    p.n_ctx = 64;
    p.logits_all = 12345;  // beyond the size we declare: must be ignored
    p.struct_size = offsetof(llmrt_context_params, n_batch);
    llmrt_context *c = nullptr;
    ASSERT_EQ(llmrt_context_create(m.get(), &p, &c), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(llmrt_context_n_ctx(c), 64);
    llmrt_context_free(c);
    p.struct_size = 0;
    EXPECT_EQ(llmrt_context_create(m.get(), &p, &c), LLMRT_ERR_INVALID_ARGUMENT);
}

TEST(Api, ParamsInitWritesOnlyTheCallersStructSize) {
    // An older caller's struct ends at n_batch: the library must not write past it.
    unsigned char buffer[sizeof(llmrt_context_params) + 16];
    std::memset(buffer, 0xAB, sizeof buffer);
    const uint32_t old_size = offsetof(llmrt_context_params, n_threads);
    llmrt_context_params_init_sized(reinterpret_cast<llmrt_context_params *>(buffer), old_size);
    llmrt_context_params seen;
    std::memcpy(&seen, buffer, sizeof seen);
    EXPECT_EQ(seen.struct_size, old_size);
    EXPECT_EQ(seen.n_batch, 512);
    for (size_t i = old_size; i < sizeof buffer; ++i) ASSERT_EQ(buffer[i], 0xAB) << i;
}

TEST(Api, DecodeChecksTokensAndContextSize) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    auto ctx = test::context(m.get(), 8);
    const int32_t bad[] = {1, 600};
    EXPECT_EQ(llmrt_decode(ctx.get(), bad, 2), LLMRT_ERR_INVALID_ARGUMENT);
    const int32_t ids[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    EXPECT_EQ(llmrt_decode(ctx.get(), ids, 9), LLMRT_ERR_CONTEXT_FULL);
    EXPECT_EQ(llmrt_decode(ctx.get(), ids, 8), LLMRT_OK);
    EXPECT_EQ(llmrt_context_n_past(ctx.get()), 8);
    EXPECT_EQ(llmrt_decode(ctx.get(), ids, 1), LLMRT_ERR_CONTEXT_FULL);
    llmrt_context_reset(ctx.get());
    EXPECT_EQ(llmrt_context_n_past(ctx.get()), 0);
    EXPECT_EQ(llmrt_decode(ctx.get(), ids, 1), LLMRT_OK);
}

TEST(Api, PromptLongerThanContextIsContextFull) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    auto ctx = test::context(m.get(), 4);
    auto s = test::greedy_sampler();
    EXPECT_EQ(llmrt_generate(ctx.get(), s.get(), "Once upon a time there was", nullptr, nullptr, nullptr),
              LLMRT_ERR_CONTEXT_FULL);
    EXPECT_NE(std::string(llmrt_last_error()).find("context"), std::string::npos);
}

TEST(Api, BatchedPrefillEqualsTokenByToken) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    const std::vector<int32_t> ids = {1, 403, 407, 261, 378, 432, 383, 286, 261};
    llmrt_context_params p;
    llmrt_context_params_init(&p);
    p.n_batch = 4;  // three prefill steps
    llmrt_context *batched = nullptr;
    ASSERT_EQ(llmrt_context_create(m.get(), &p, &batched), LLMRT_OK);
    test::ContextPtr owner(batched);
    auto single = test::context(m.get());
    ASSERT_EQ(llmrt_decode(batched, ids.data(), static_cast<int32_t>(ids.size())), LLMRT_OK);
    for (int32_t t : ids) ASSERT_EQ(llmrt_decode(single.get(), &t, 1), LLMRT_OK);
    const float *a = llmrt_get_logits(batched);
    const float *b = llmrt_get_logits(single.get());
    for (int i = 0; i < 512; ++i) EXPECT_NEAR(a[i], b[i], 1e-4f);
}

TEST(Api, LogitsAllGivesEveryPosition) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    auto all = test::context(m.get(), 0, 2, 1);
    const std::vector<int32_t> ids = {1, 403, 407, 261, 378};
    ASSERT_EQ(llmrt_decode(all.get(), ids.data(), 5), LLMRT_OK);
    auto step = test::context(m.get());
    for (int i = 0; i < 5; ++i) {
        ASSERT_EQ(llmrt_decode(step.get(), &ids[static_cast<size_t>(i)], 1), LLMRT_OK);
        const float *a = llmrt_get_logits_ith(all.get(), i);
        ASSERT_NE(a, nullptr);
        const float *b = llmrt_get_logits(step.get());
        for (int v = 0; v < 512; ++v) ASSERT_NEAR(a[v], b[v], 1e-4f);
    }
    EXPECT_EQ(llmrt_get_logits_ith(all.get(), 5), nullptr);
}

struct Collected {
    std::string text;
    int calls = 0;
    int stop_after = -1;
};

int32_t collect(const char *piece, size_t len, int32_t, void *user_data) {
    auto *c = static_cast<Collected *>(user_data);
    c->text.append(piece, len);
    ++c->calls;
    return c->stop_after >= 0 && c->calls >= c->stop_after ? 1 : 0;
}

TEST(Api, GenerateStreamsReferenceGreedyText) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    const nlohmann::json ref = test::read_json(test::shared_path("reference/stories260K.json"));
    auto ctx = test::context(m.get());
    auto s = test::greedy_sampler();
    llmrt_generate_params gp;
    llmrt_generate_params_init(&gp);
    gp.max_new_tokens = 32;
    Collected c;
    ASSERT_EQ(llmrt_generate(ctx.get(), s.get(), "Once upon a time", &gp, collect, &c), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(c.text, ref["prompts"][0]["greedy_text"].get<std::string>());
    EXPECT_EQ(c.calls, 32);
    EXPECT_EQ(llmrt_generate_stop_code(ctx.get()), LLMRT_STOP_LENGTH);
}

TEST(Api, CallbackCancels) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    auto ctx = test::context(m.get());
    auto s = test::greedy_sampler();
    Collected c;
    c.stop_after = 5;
    EXPECT_EQ(llmrt_generate(ctx.get(), s.get(), "Once upon a time", nullptr, collect, &c), LLMRT_CANCELLED);
    EXPECT_EQ(c.calls, 5);
    EXPECT_EQ(llmrt_generate_stop_code(ctx.get()), LLMRT_STOP_CANCELLED);
}

TEST(Api, CancelFromAnotherThreadStopsGeneration) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    auto ctx = test::context(m.get());
    auto s = test::greedy_sampler();
    llmrt_generate_params gp;
    llmrt_generate_params_init(&gp);
    gp.max_new_tokens = 100000;
    gp.stop_at_eos = 0;
    struct State {
        llmrt_context *ctx;
        std::atomic<int> calls{0};
    } state{ctx.get()};
    auto cb = [](const char *, size_t, int32_t, void *ud) -> int32_t {
        auto *st = static_cast<State *>(ud);
        if (++st->calls == 3) std::thread([c = st->ctx] { llmrt_context_cancel(c); }).join();
        return 0;
    };
    EXPECT_EQ(llmrt_generate(ctx.get(), s.get(), "Once", &gp, cb, &state), LLMRT_CANCELLED);
    EXPECT_LT(state.calls.load(), 2000);
}

TEST(Api, StopStringEndsGenerationAndIsNotEmitted) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    auto ctx = test::context(m.get());
    auto s = test::greedy_sampler();
    const char *stops[] = {"Lily"};
    llmrt_generate_params gp;
    llmrt_generate_params_init(&gp);
    gp.max_new_tokens = 32;
    gp.stop_strings = stops;
    gp.n_stop_strings = 1;
    Collected c;
    ASSERT_EQ(llmrt_generate(ctx.get(), s.get(), "Once upon a time", &gp, collect, &c), LLMRT_OK);
    EXPECT_EQ(c.text, ", there was a little girl named ");
    EXPECT_EQ(llmrt_generate_stop_code(ctx.get()), LLMRT_STOP_STRING);
}

TEST(Api, PullGenerationEqualsCallbackGeneration) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    auto ctx = test::context(m.get());
    llmrt_sampler_params sp;
    llmrt_sampler_params_init(&sp);
    sp.temperature = 0.8f;
    sp.top_p = 0.9f;
    sp.seed = 42;
    llmrt_sampler *s1 = nullptr, *s2 = nullptr;
    ASSERT_EQ(llmrt_sampler_create(&sp, &s1), LLMRT_OK);
    ASSERT_EQ(llmrt_sampler_create(&sp, &s2), LLMRT_OK);
    test::SamplerPtr o1(s1), o2(s2);
    llmrt_generate_params gp;
    llmrt_generate_params_init(&gp);
    gp.max_new_tokens = 40;
    Collected c;
    ASSERT_EQ(llmrt_generate(ctx.get(), s1, "Once upon a time", &gp, collect, &c), LLMRT_OK);
    llmrt_context_reset(ctx.get());
    ASSERT_EQ(llmrt_generate_begin(ctx.get(), s2, "Once upon a time", &gp), LLMRT_OK);
    std::string pulled;
    const char *piece = nullptr;
    size_t len = 0;
    llmrt_token tok = 0;
    llmrt_status st;
    while ((st = llmrt_generate_next(ctx.get(), &piece, &len, &tok)) == LLMRT_OK) pulled.append(piece, len);
    EXPECT_EQ(st, LLMRT_END_OF_GENERATION);
    EXPECT_EQ(llmrt_generate_stop_code(ctx.get()), LLMRT_STOP_LENGTH);
    llmrt_generate_end(ctx.get());
    EXPECT_EQ(pulled, c.text);
    EXPECT_FALSE(c.text.empty());
}

TEST(Api, SamplerRejectsInvalidParams) {
    llmrt_sampler_params sp;
    llmrt_sampler_params_init(&sp);
    sp.top_p = 0.0f;
    llmrt_sampler *s = nullptr;
    EXPECT_EQ(llmrt_sampler_create(&sp, &s), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(s, nullptr);
    sp.top_p = 0.9f;
    sp.temperature = -1.0f;
    EXPECT_EQ(llmrt_sampler_create(&sp, &s), LLMRT_ERR_INVALID_ARGUMENT);
}

TEST(Api, UnknownSyntheticShapeIsInvalidArgument) {
    llmrt_model *m = nullptr;
    EXPECT_EQ(llmrt_model_create_synthetic("gpt-17", 1, nullptr, &m), LLMRT_ERR_INVALID_ARGUMENT);
    ASSERT_EQ(llmrt_model_create_synthetic("stories260k", 1, nullptr, &m), LLMRT_OK) << llmrt_last_error();
    test::ModelPtr owner(m);
    EXPECT_EQ(llmrt_model_n_vocab(m), 512);
    auto ctx = test::context(m);
    const int32_t ids[] = {1, 50, 60};
    EXPECT_EQ(llmrt_decode(ctx.get(), ids, 3), LLMRT_OK);
}

TEST(Api, SyntheticShapesAreListedAndTooLargeIsOutOfMemory) {
    const std::string shapes = llmrt_synthetic_shapes();
    for (const char *name : {"stories260k", "tinyllama-1.1b", "llama-7b", "gptj-6b", "falcon-7b", "mixtral-8x7b"})
        EXPECT_NE(shapes.find(name), std::string::npos) << shapes;
    llmrt_model *m = nullptr;
    EXPECT_EQ(llmrt_model_create_synthetic("gpt-17", 1, nullptr, &m), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find(shapes), std::string::npos) << llmrt_last_error();
    // Mixtral-8x7B in f32: 187 GB, refused before anything is allocated.
    EXPECT_EQ(llmrt_model_create_synthetic("mixtral-8x7b", 1, nullptr, &m), LLMRT_ERR_OUT_OF_MEMORY);
    EXPECT_EQ(m, nullptr);
    EXPECT_NE(std::string(llmrt_last_error()).find("mixtral-8x7b' needs 187."), std::string::npos)
        << llmrt_last_error();
}

}  // namespace
