// Per-op profiling of a context's forward passes: llmrt_context_set_profiling and
// llmrt_context_profile_json.
#include <map>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

const std::string kModel = test::source_path("models/stories260K/stories260K.gguf");

const char *const kLlamaMatmuls[] = {"matmul.attn_qkv", "matmul.attn_output", "matmul.ffn_gate_up",
                                     "matmul.ffn_down"};

nlohmann::json profile(llmrt_context *ctx) {
    const char *text = nullptr;
    EXPECT_EQ(llmrt_context_profile_json(ctx, &text), LLMRT_OK) << llmrt_last_error();
    EXPECT_NE(text, nullptr);
    return text ? nlohmann::json::parse(text) : nlohmann::json();
}

// The phase's ops by name.
std::map<std::string, nlohmann::json> ops_by_name(const nlohmann::json &phase) {
    std::map<std::string, nlohmann::json> ops;
    for (const auto &op : phase.at("ops")) ops[op.at("op").get<std::string>()] = op;
    return ops;
}

// Checks what holds for every phase that ran steps: calls per step of each matmul, bytes,
// seconds and their sum.
void check_phase(const nlohmann::json &phase, int64_t n_layer, const char *name) {
    SCOPED_TRACE(name);
    const int64_t steps = phase.at("steps").get<int64_t>();
    ASSERT_GT(steps, 0);
    const auto ops = ops_by_name(phase);
    for (const char *role : kLlamaMatmuls) {
        ASSERT_TRUE(ops.count(role)) << role << " missing in " << phase.dump();
        const nlohmann::json &op = ops.at(role);
        EXPECT_EQ(op.at("calls").get<int64_t>(), n_layer * steps) << role;
        EXPECT_GT(op.at("bytes").get<int64_t>(), 0) << role;
    }
    ASSERT_TRUE(ops.count("matmul.output"));
    EXPECT_EQ(ops.at("matmul.output").at("calls").get<int64_t>(), steps);
    for (const char *other : {"embedding", "norm", "attention", "rope", "elementwise", "kv_store"})
        EXPECT_TRUE(ops.count(other)) << other;

    double sum = 0.0;
    for (const auto &[op_name, op] : ops) {
        EXPECT_GE(op.at("seconds").get<double>(), 0.0) << op_name;
        sum += op.at("seconds").get<double>();
    }
    EXPECT_LE(sum, phase.at("seconds").get<double>());
    EXPECT_GE(phase.at("barrier_wait_seconds").get<double>(), 0.0);
    EXPECT_LE(phase.at("barrier_wait_seconds").get<double>(), phase.at("seconds").get<double>());
    EXPECT_GE(phase.at("pool_runs").get<int64_t>(), 0);
}

TEST(Profile, CountsDecodeAndPrefillStepsPerOp) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    auto ctx = test::context(m.get(), 128, 2);
    ASSERT_EQ(llmrt_context_set_profiling(ctx.get(), 1), LLMRT_OK) << llmrt_last_error();

    // 64 tokens: enough work that prefill's matmuls run on the thread pool (a small model's
    // decode matmuls run on the calling thread alone).
    const auto story = test::tokenize(m.get(), "Once upon a time");
    std::vector<int32_t> prompt;
    while (prompt.size() < 64) prompt.push_back(story[prompt.size() % story.size()]);
    const int n_gen = 3;
    test::greedy_ids(ctx.get(), m.get(), prompt, n_gen + 1);  // the prompt, then n_gen single tokens

    const nlohmann::json p = profile(ctx.get());
    const int64_t n_layer = llmrt_model_n_layer(m.get());
    const nlohmann::json &decode = p.at("decode");
    EXPECT_EQ(decode.at("steps").get<int64_t>(), n_gen);
    EXPECT_EQ(decode.at("tokens").get<int64_t>(), n_gen);
    check_phase(decode, n_layer, "decode");
    const nlohmann::json &prefill = p.at("prefill");
    EXPECT_EQ(prefill.at("steps").get<int64_t>(), 1);
    EXPECT_EQ(prefill.at("tokens").get<int64_t>(), static_cast<int64_t>(prompt.size()));
    check_phase(prefill, n_layer, "prefill");
    EXPECT_GT(prefill.at("pool_runs").get<int64_t>(), 0);

    // A matmul reads its whole matrices: for stories260K (f32) gate and up are n_ff x n_embd floats each.
    const auto ops = ops_by_name(decode);
    EXPECT_EQ(ops.at("matmul.ffn_gate_up").at("bytes").get<int64_t>(), 2 * 4 * 172 * llmrt_model_n_embd(m.get()));

    // What a decoded token reads, as the model reports it: the matrices the profile saw read in
    // one step and the embedding row, plus the norm vectors (n_layer * 2 + 1 of n_embd floats).
    uint64_t per_step = 0;
    for (const auto &[name, op] : ops)
        per_step += op.at("bytes").get<uint64_t>() * op.at("calls").get<uint64_t>() / static_cast<uint64_t>(n_gen);
    const uint64_t norms = static_cast<uint64_t>((2 * n_layer + 1) * llmrt_model_n_embd(m.get())) * sizeof(float);
    EXPECT_EQ(llmrt_model_decode_read_bytes(m.get()), per_step + norms);
    EXPECT_LT(llmrt_model_decode_read_bytes(m.get()), llmrt_model_weight_bytes(m.get()));
    EXPECT_EQ(llmrt_model_decode_read_bytes(nullptr), 0u);
}

// Several sequences' next tokens evaluated together are decode steps (one weight read for all of
// them); several tokens of one sequence are prefill, whoever else is in the batch.
TEST(Profile, OneTokenPerSequenceIsADecodeStep) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    llmrt_context_params cp;
    llmrt_context_params_init(&cp);
    cp.n_ctx = 64;
    cp.n_seq_max = 4;
    llmrt_context *raw = nullptr;
    ASSERT_EQ(llmrt_context_create(m.get(), &cp, &raw), LLMRT_OK) << llmrt_last_error();
    const llmrt::context_ptr ctx(raw);
    ASSERT_EQ(llmrt_context_set_profiling(ctx.get(), 1), LLMRT_OK) << llmrt_last_error();
    const auto ids = test::tokenize(m.get(), "Once upon a time");
    const int32_t tokens[] = {ids[0], ids[1], ids[2], ids[3]};
    const int32_t each[] = {0, 1, 2, 3};
    ASSERT_EQ(llmrt_decode_multi(ctx.get(), tokens, each, 4), LLMRT_OK) << llmrt_last_error();
    ASSERT_EQ(llmrt_decode_multi(ctx.get(), tokens, each, 2), LLMRT_OK) << llmrt_last_error();
    const int32_t twice[] = {0, 1, 1};
    ASSERT_EQ(llmrt_decode_multi(ctx.get(), tokens, twice, 3), LLMRT_OK) << llmrt_last_error();
    const nlohmann::json p = profile(ctx.get());
    EXPECT_EQ(p.at("decode").at("steps").get<int64_t>(), 2);
    EXPECT_EQ(p.at("decode").at("tokens").get<int64_t>(), 6);
    EXPECT_EQ(p.at("prefill").at("steps").get<int64_t>(), 1);
    EXPECT_EQ(p.at("prefill").at("tokens").get<int64_t>(), 3);
}

TEST(Profile, ReEnablingClearsAndDisablingIsAnError) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    auto ctx = test::context(m.get(), 64, 1);
    const char *text = reinterpret_cast<const char *>(0x1);
    EXPECT_EQ(llmrt_context_profile_json(ctx.get(), &text), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(text, nullptr);
    EXPECT_NE(std::string(llmrt_last_error()).find("profiling"), std::string::npos) << llmrt_last_error();

    ASSERT_EQ(llmrt_context_set_profiling(ctx.get(), 1), LLMRT_OK);
    const llmrt_token bos = llmrt_model_bos(m.get());
    ASSERT_EQ(llmrt_decode(ctx.get(), &bos, 1), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(profile(ctx.get()).at("decode").at("steps").get<int64_t>(), 1);

    // Enabling again starts from zero; reset keeps the counts.
    ASSERT_EQ(llmrt_context_set_profiling(ctx.get(), 1), LLMRT_OK);
    nlohmann::json p = profile(ctx.get());
    EXPECT_EQ(p.at("decode").at("steps").get<int64_t>(), 0);
    EXPECT_EQ(p.at("decode").at("seconds").get<double>(), 0.0);
    EXPECT_TRUE(p.at("decode").at("ops").empty());
    EXPECT_EQ(p.at("prefill").at("steps").get<int64_t>(), 0);
    llmrt_context_reset(ctx.get());
    ASSERT_EQ(llmrt_decode(ctx.get(), &bos, 1), LLMRT_OK) << llmrt_last_error();
    llmrt_context_reset(ctx.get());
    ASSERT_EQ(llmrt_decode(ctx.get(), &bos, 1), LLMRT_OK) << llmrt_last_error();
    p = profile(ctx.get());
    EXPECT_EQ(p.at("decode").at("steps").get<int64_t>(), 2);
    // One thread: parallel sections run on the caller alone, so nothing is waited for.
    EXPECT_EQ(p.at("decode").at("barrier_wait_seconds").get<double>(), 0.0);

    ASSERT_EQ(llmrt_context_set_profiling(ctx.get(), 0), LLMRT_OK);
    EXPECT_EQ(llmrt_context_profile_json(ctx.get(), &text), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(text, nullptr);
}

TEST(Profile, NullArgumentsAreRejected) {
    const char *text = nullptr;
    EXPECT_EQ(llmrt_context_set_profiling(nullptr, 1), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_STRNE(llmrt_last_error(), "");
    EXPECT_EQ(llmrt_context_profile_json(nullptr, &text), LLMRT_ERR_INVALID_ARGUMENT);
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    auto ctx = test::context(m.get(), 64, 1);
    ASSERT_EQ(llmrt_context_set_profiling(ctx.get(), 1), LLMRT_OK);
    EXPECT_EQ(llmrt_context_profile_json(ctx.get(), nullptr), LLMRT_ERR_INVALID_ARGUMENT);
}

}  // namespace
