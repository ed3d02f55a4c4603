// load_tokenizer on the 15 synthetic HF checkpoints: prompt ids against llama.cpp
// (llama_tokenize add_special=true, parse_special=false), which equal HF's for every prompt.
#include "tokenizer/unicode.h"
#include "tokenizer_test_util.h"

namespace llmrt {
namespace {

using test::ids_of;
using test::show;

class SyntheticModel : public ::testing::TestWithParam<std::string> {};

TEST_P(SyntheticModel, PromptIdsMatchLlamaCpp) {
    const std::string arch = GetParam();
    const std::string dir = test::model_path("synthetic/" + arch);
    const nlohmann::json ref = test::read_json(test::reference_path("synthetic/" + arch + ".json"));
    const auto tok = load_tokenizer(test::hf_directory_checkpoint(dir, test::read_json(dir + "/config.json")));

    // llama.cpp's eos (Gemma: <end_of_turn>, from tokenizer_config.json) ends a generation; eos()
    // itself follows config.json (Gemma: <eos>).
    const std::vector<int32_t> eog = tok->end_of_generation_ids();
    EXPECT_NE(std::find(eog.begin(), eog.end(), ref.at("eos_id").get<int32_t>()), eog.end()) << arch;
    if (arch != "gemma") {
        EXPECT_EQ(tok->eos(), ref.at("eos_id").get<int32_t>());
    }
    if (ref.at("add_bos").get<bool>()) {
        EXPECT_EQ(tok->bos(), ref.at("bos_id").get<int32_t>());
    }
    EXPECT_LE(tok->n_vocab(), ref.at("n_vocab").get<int32_t>());  // llama.cpp pads phi3 to config's 32064
    EXPECT_NE(std::find(eog.begin(), eog.end(), tok->eos()), eog.end());

    for (const auto &p : ref.at("prompts")) {
        const std::string prompt = p.at("prompt").get<std::string>();
        const std::vector<int32_t> ids = tok->encode(prompt, true);
        EXPECT_EQ(show(ids), show(ids_of(p.at("prompt_token_ids")))) << arch << ": " << prompt;
        EXPECT_EQ(show(ids), show(ids_of(p.at("hf_tokenizer_js_ids")))) << arch << ": " << prompt;
        EXPECT_EQ(tok->decode(ids, true), prompt) << arch;
        // llama_token_to_piece of each prompt token (control tokens aside: piece() gives "").
        const auto &pieces = p.at("prompt_token_pieces");
        ASSERT_EQ(pieces.size(), ids.size());
        for (size_t i = 0; i < ids.size(); ++i) {
            if (tok->is_control(ids[i])) continue;
            const std::string piece = tok->piece(ids[i]);
            if (utf8_valid_prefix(piece) != piece.size()) continue;  // the reference shows such bytes as <0xNN>
            EXPECT_EQ(piece, pieces[i].get<std::string>()) << arch << " token " << ids[i];
        }
    }
}

INSTANTIATE_TEST_SUITE_P(AllArchitectures, SyntheticModel,
                         ::testing::Values("bloom", "falcon", "falcon7b", "gemma", "gpt2", "gpt_bigcode", "gpt_neox",
                                           "llama", "llama32", "mistral", "mpt", "phi", "phi3", "qwen2", "stablelm"));

// Phi-3 keeps tokenizer.model and adds its chat tokens (rstrip) from tokenizer.json.
TEST(SyntheticModel, Phi3AddedTokensExtendTheSentencePieceVocabulary) {
    const std::string dir = test::model_path("synthetic/phi3");
    const auto tok = load_tokenizer(test::hf_directory_checkpoint(dir, test::read_json(dir + "/config.json")));
    EXPECT_EQ(tok->n_vocab(), 32011);
    EXPECT_EQ(tok->find_token("<|end|>"), 32007);
    EXPECT_TRUE(tok->is_control(32007));
    const std::vector<int32_t> eog = tok->end_of_generation_ids();
    EXPECT_NE(std::find(eog.begin(), eog.end(), 32000), eog.end());  // <|endoftext|> (config eos)
    EXPECT_NE(std::find(eog.begin(), eog.end(), 32007), eog.end());  // <|end|>
    // rstrip: the newline after <|user|> is swallowed.
    const std::vector<int32_t> ids = tok->encode("<|user|>\nHi<|end|>", false, true);
    ASSERT_GE(ids.size(), 3u);
    EXPECT_EQ(ids.front(), 32010);
    EXPECT_EQ(ids.back(), 32007);
    EXPECT_EQ(tok->decode(ids, false), "<|user|> Hi<|end|>");
    EXPECT_EQ(tok->decode(ids, true), "Hi");
}

}  // namespace
}  // namespace llmrt
