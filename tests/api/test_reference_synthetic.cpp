// Llama-family synthetic checkpoints (random BF16 weights of real layouts) against the float64
// reference implementation of the transformers semantics (hf_fp64).
#include <cmath>

#include "test_support.h"

namespace {

class Synthetic : public ::testing::TestWithParam<std::string> {};

TEST_P(Synthetic, LogitsAndGreedyMatchFloat64Reference) {
    const nlohmann::json ref = test::read_json(test::shared_path("reference/synthetic/" + GetParam() + ".json"));
    auto model = test::load(test::shared_path("models/synthetic/" + GetParam()));
    ASSERT_TRUE(model);
    ASSERT_EQ(llmrt_model_n_vocab(model.get()), ref["n_vocab"].get<int32_t>());
    for (const auto &p : ref["prompts"]) {
        SCOPED_TRACE(p["prompt"].get<std::string>());
        const auto prompt = p["prompt_token_ids"].get<std::vector<int32_t>>();
        EXPECT_EQ(test::tokenize(model.get(), p["prompt"].get<std::string>()), prompt);
        const auto &fp64 = p["hf_fp64"];
        const auto expected = fp64["greedy_token_ids"].get<std::vector<int32_t>>();
        auto ctx = test::context(model.get(), 256);
        std::vector<std::vector<float>> logits;
        EXPECT_EQ(test::greedy_ids(ctx.get(), model.get(), prompt, static_cast<int>(expected.size()), &logits), expected);
        const auto ref_logits = fp64["next_token_logits"].get<std::vector<double>>();
        ASSERT_EQ(ref_logits.size(), logits[0].size());
        double max_diff = 0.0;
        for (size_t i = 0; i < ref_logits.size(); ++i) max_diff = std::max(max_diff, std::fabs(ref_logits[i] - logits[0][i]));
        EXPECT_LT(max_diff, 1e-3) << "max |logit - fp64 reference|";
    }
}

INSTANTIATE_TEST_SUITE_P(LlamaFamily, Synthetic, ::testing::Values("llama", "llama32", "qwen2", "mistral"));

}  // namespace
