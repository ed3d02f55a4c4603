// stories260K through the C API against the independent reference (llama.cpp F32), in both the
// Hugging Face and the GGUF form.
#include <cmath>
#include <cstdio>

#include "test_support.h"

namespace {

class Stories : public ::testing::TestWithParam<std::string> {};

TEST_P(Stories, PromptsMatchReferenceTokensLogitsAndGreedyIds) {
    auto model = test::load(test::shared_path(GetParam()));
    ASSERT_TRUE(model);
    const nlohmann::json ref = test::read_json(test::shared_path("reference/stories260K.json"));
    ASSERT_EQ(llmrt_model_n_vocab(model.get()), 512);
    for (const auto &p : ref["prompts"]) {
        SCOPED_TRACE(p["prompt"].get<std::string>());
        const auto expected_prompt = p["prompt_token_ids"].get<std::vector<int32_t>>();
        const auto ids = test::tokenize(model.get(), p["prompt"].get<std::string>());
        EXPECT_EQ(ids, expected_prompt);

        // The reference ran llama.cpp with its default f16 KV cache; the f16 cache reproduces it.
        auto ctx = test::context(model.get(), 512, 2, 0, LLMRT_KV_F16);
        std::vector<std::vector<float>> logits;
        const auto expected = p["greedy_token_ids"].get<std::vector<int32_t>>();
        const auto got = test::greedy_ids(ctx.get(), model.get(), expected_prompt, static_cast<int>(expected.size()), &logits);
        EXPECT_EQ(got, expected);

        const auto ref_logits = p["next_token_logits_full"].get<std::vector<float>>();
        ASSERT_EQ(ref_logits.size(), logits[0].size());
        float max_diff = 0.0f;
        double sum_diff = 0.0;
        for (size_t i = 0; i < ref_logits.size(); ++i) {
            max_diff = std::max(max_diff, std::fabs(ref_logits[i] - logits[0][i]));
            sum_diff += std::fabs(ref_logits[i] - logits[0][i]);
        }
        // The reference's own rounding (f16 cache, ggml's f16 conversions of q and of the
        // attention weights) leaves single logits ~1e-3 apart at most; on average far less.
        EXPECT_LT(max_diff, 1.2e-3f);
        EXPECT_LT(sum_diff / static_cast<double>(ref_logits.size()), 2e-4);
        std::printf("max |diff| %.3g, mean |diff| %.3g\n", max_diff, sum_diff / static_cast<double>(ref_logits.size()));
    }
}

TEST_P(Stories, BosOnlyGreedyMatches255ReferenceTokens) {
    auto model = test::load(test::shared_path(GetParam()));
    ASSERT_TRUE(model);
    const nlohmann::json ref = test::read_json(test::shared_path("models/stories260K/reference_greedy.json"));
    auto expected = ref["generated_ids"].get<std::vector<int32_t>>();
    // The reference stops at BOS or 256 positions: 255 generated ids after the BOS.
    if (expected.size() > 255) expected.resize(255);
    auto ctx = test::context(model.get());
    std::vector<std::vector<float>> logits;
    const auto got = test::greedy_ids(ctx.get(), model.get(), {1}, static_cast<int>(expected.size()), &logits);
    EXPECT_EQ(got, expected);
    const auto first16 = ref["logits_pos0_after_bos_first16"].get<std::vector<float>>();
    for (size_t i = 0; i < first16.size(); ++i) EXPECT_NEAR(logits[0][i], first16[i], 1e-3f) << i;
}

INSTANTIATE_TEST_SUITE_P(Forms, Stories,
                         ::testing::Values("models/stories260K-hf", "models/stories260K/stories260K.gguf"),
                         [](const auto &info) { return info.param.find("gguf") != std::string::npos ? "gguf" : "hf"; });

TEST(StoriesForms, HfAndGgufGiveTheSameLogits) {
    auto hf = test::load(test::shared_path("models/stories260K-hf"));
    auto gguf = test::load(test::shared_path("models/stories260K/stories260K.gguf"));
    ASSERT_TRUE(hf && gguf);
    const std::vector<int32_t> prompt = {1, 403, 407, 261, 378, 432, 383};
    auto c1 = test::context(hf.get());
    auto c2 = test::context(gguf.get());
    ASSERT_EQ(llmrt_decode(c1.get(), prompt.data(), 7), LLMRT_OK);
    ASSERT_EQ(llmrt_decode(c2.get(), prompt.data(), 7), LLMRT_OK);
    const float *a = llmrt_get_logits(c1.get());
    const float *b = llmrt_get_logits(c2.get());
    for (int i = 0; i < 512; ++i) EXPECT_NEAR(a[i], b[i], 1e-4f) << i;
}

}  // namespace
