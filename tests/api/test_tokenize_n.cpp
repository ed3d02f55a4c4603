// llmrt_tokenize_n: text with a length, so a NUL byte is tokenized like any other byte instead of
// ending the text (stories260K's SentencePiece vocabulary has byte tokens for it).
#include "test_support.h"

namespace {

const std::string kModel = test::source_path("models/stories260K/stories260K.gguf");

std::vector<int32_t> tokenize_n(llmrt_model *m, const std::string &text) {
    int32_t n = 0;
    EXPECT_EQ(llmrt_tokenize_n(m, text.data(), text.size(), 1, nullptr, 0, &n), LLMRT_ERR_BUFFER_TOO_SMALL);
    std::vector<int32_t> ids(static_cast<size_t>(n));
    EXPECT_EQ(llmrt_tokenize_n(m, text.data(), text.size(), 1, ids.data(), n, &n), LLMRT_OK) << llmrt_last_error();
    return ids;
}

// stories260K's vocabulary: <unk>, <s>, </s>, the 256 byte tokens <0x00>..<0xFF>, then merged pieces.
constexpr int32_t kNulToken = 3;
constexpr int32_t kFirstMergedPiece = 259;

// The merged piece (not a byte token) whose text is exactly these bytes.
int32_t merged_piece(llmrt_model *m, const std::string &bytes) {
    for (int32_t id = kFirstMergedPiece; id < llmrt_model_n_vocab(m); ++id) {
        char buf[64];
        size_t len = 0;
        if (llmrt_token_to_piece_v2(m, id, buf, sizeof buf, &len) == LLMRT_OK && std::string(buf, len) == bytes) return id;
    }
    return -1;
}

TEST(TokenizeN, NulIsAnOrdinaryByte) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    const std::string text("a\0b", 3);
    std::vector<int32_t> expected = test::tokenize(m.get(), "a");  // BOS, "▁a"
    expected.push_back(kNulToken);
    expected.push_back(merged_piece(m.get(), "b"));
    EXPECT_EQ(tokenize_n(m.get(), text), expected);

    char buf[16];
    size_t len = 0;
    ASSERT_EQ(llmrt_detokenize_v2(m.get(), expected.data(), static_cast<int32_t>(expected.size()), 1, buf, sizeof buf, &len),
              LLMRT_OK);
    EXPECT_EQ(std::string(buf, len), text);
}

TEST(TokenizeN, SameAsTokenizeWithoutNul) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    const std::string text = "Once upon a time";
    EXPECT_EQ(tokenize_n(m.get(), text), test::tokenize(m.get(), text));
    // Only text_len bytes are read: the rest of the buffer is not part of the text.
    EXPECT_EQ(tokenize_n(m.get(), text.substr(0, 4)), test::tokenize(m.get(), "Once"));
}

TEST(TokenizeN, Arguments) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    int32_t ids[4];
    int32_t n = -1;
    EXPECT_EQ(llmrt_tokenize_n(m.get(), nullptr, 0, 1, ids, 4, &n), LLMRT_OK);  // empty text: only BOS
    EXPECT_EQ(n, 1);
    EXPECT_EQ(ids[0], 1);
    EXPECT_EQ(llmrt_tokenize_n(m.get(), nullptr, 3, 1, ids, 4, &n), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_tokenize(m.get(), nullptr, 1, ids, 4, &n), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_STREQ(llmrt_last_error(), "text is NULL");
}

}  // namespace
