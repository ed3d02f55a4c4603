// Every family's synthetic checkpoint (random weights in the real layout) against the float64
// implementation of the transformers modeling code (hf_fp64), from its Hugging Face directory
// and, where llama.cpp converts the family, from llama.cpp's GGUF of it: prompt ids, the
// next-token logits after each prompt (within 1e-4 for every family, GELU ones included: we
// compute GELU exactly, not through ggml's f16 table) and 16 greedy tokens.
#include <cmath>
#include <filesystem>

#include "test_support.h"

namespace {

struct Case {
    std::string arch;
    std::string form;  // "hf" or "gguf"
};

std::string case_name(const ::testing::TestParamInfo<Case> &info) { return info.param.arch + "_" + info.param.form; }

class Synthetic : public ::testing::TestWithParam<Case> {};

TEST_P(Synthetic, LogitsAndGreedyMatchFloat64Reference) {
    const Case c = GetParam();
    const nlohmann::json ref = test::read_json(test::shared_path("reference/synthetic/" + c.arch + ".json"));
    const std::string path = c.form == "hf" ? test::shared_path("models/synthetic/" + c.arch)
                                            : test::shared_path("models/synthetic-gguf/" + c.arch + ".gguf");
    auto model = test::load(path);
    ASSERT_TRUE(model) << llmrt_last_error();
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
        EXPECT_LT(max_diff, 1e-4) << "max |logit - fp64 reference|";
    }
}

std::vector<Case> cases() {
    const char *archs[] = {"baichuan", "bloom",  "chatglm", "falcon",   "falcon7b", "gemma",   "gpt2",
                           "gpt_bigcode", "gpt_neox", "gptj", "llama", "llama32",  "mistral", "mixtral",
                           "mpt",      "opt",    "phi",     "phi3",     "qwen",     "qwen2",   "stablelm"};
    std::vector<Case> out;
    for (const char *a : archs) {
        out.push_back({a, "hf"});
        if (std::filesystem::exists(test::shared_path(std::string("models/synthetic-gguf/") + a + ".gguf")))
            out.push_back({a, "gguf"});
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(EveryFamily, Synthetic, ::testing::ValuesIn(cases()), case_name);

}  // namespace
