// A NUL byte inside the text is an ordinary byte to every tokenizer: SentencePiece falls back to
// its byte token <0x00>, byte-level BPE maps it to "Ā" (U+0100) like any other byte. Nothing
// stops at it, and the text round-trips.
#include "tokenizer_test_util.h"

namespace llmrt {
namespace {

using test::show;

const std::string kText("a\0b", 3);

// The Llama-2 tokenizer.model: "▁a" (the dummy prefix), the byte token, then "b" (no prefix:
// it does not start a word).
TEST(NulByte, SentencePieceUsesTheByteToken) {
    const std::string path = test::model_path("llama2-tokenizer-32k/tokenizer.model");
    const auto tok = tokenizer_from_sentencepiece(test::read_text(path), path);
    const int32_t nul = tok->find_token("<0x00>");
    ASSERT_GE(nul, 0);
    const std::vector<int32_t> expected{tok->find_token("\xe2\x96\x81" "a"), nul, tok->find_token("b")};
    EXPECT_EQ(show(tok->encode(kText, false)), show(expected));
    EXPECT_EQ(tok->decode(tok->encode(kText, true), true), kText);
}

// GPT-2: the pre-tokenizer regex splits "a", "\0", "b"; the NUL byte is the symbol "Ā".
TEST(NulByte, ByteLevelBpeUsesTheByteSymbol) {
    const auto tok = load_tokenizer(test::hf_directory_checkpoint(test::tokenizer_dir("gpt2")));
    const int32_t nul = tok->find_token("\xc4\x80");
    ASSERT_GE(nul, 0);
    const std::vector<int32_t> expected{tok->find_token("a"), nul, tok->find_token("b")};
    EXPECT_EQ(show(tok->encode(kText, false)), show(expected));
    EXPECT_EQ(tok->decode(tok->encode(kText, false), false), kText);
}

// Every tokenizer.json pipeline (regexes, normalizers, byte fallback) keeps the NUL and what
// follows it.
TEST(NulByte, EveryTokenizerRoundTrips) {
    for (const char *name : {"gpt2", "llama3", "qwen3", "mistral", "gemma3", "gpt4o", "llama2"}) {
        const auto tok = load_tokenizer(test::hf_directory_checkpoint(test::tokenizer_dir(name)));
        const std::vector<int32_t> ids = tok->encode(kText, false);
        EXPECT_NE(show(ids), show(tok->encode("a", false))) << name;
        EXPECT_EQ(tok->decode(ids, true), kText) << name << ": " << show(ids);
    }
}

}  // namespace
}  // namespace llmrt
