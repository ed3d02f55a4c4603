// The text stream handle (what a generation streams its text through, for callers with their own
// decode loop), the end-of-generation query and tokenizing with special tokens parsed: a hand-written loop over them gives exactly
// llmrt_generate's text and stopping point.
#include <cstring>
#include <string>
#include <vector>

#include "test_support.h"

namespace {

const std::string kModel = test::source_path("models/stories260K/stories260K.gguf");

llmrt::text_stream_ptr stream_with(std::vector<const char *> stops) {
    llmrt_text_stream *s = nullptr;
    EXPECT_EQ(llmrt_text_stream_create(stops.data(), static_cast<int32_t>(stops.size()), &s), LLMRT_OK)
        << llmrt_last_error();
    return llmrt::text_stream_ptr(s);
}

std::string push(llmrt_text_stream *s, const std::string &bytes) {
    const char *text = nullptr;
    size_t len = 0;
    EXPECT_EQ(llmrt_text_stream_push(s, bytes.data(), bytes.size(), &text, &len), LLMRT_OK) << llmrt_last_error();
    return std::string(text, len);
}

std::string flush(llmrt_text_stream *s) {
    const char *text = nullptr;
    size_t len = 0;
    EXPECT_EQ(llmrt_text_stream_flush(s, &text, &len), LLMRT_OK) << llmrt_last_error();
    return std::string(text, len);
}

std::string piece(llmrt_model *m, llmrt_token t) {
    char buf[64];
    size_t n = 0;
    EXPECT_EQ(llmrt_token_to_piece_v2(m, t, buf, sizeof buf, &n), LLMRT_OK);
    return std::string(buf, n);
}

struct Collected {
    std::string text;
};

int32_t collect(const char *p, size_t len, int32_t, void *user_data) {
    static_cast<Collected *>(user_data)->text.append(p, len);
    return 0;
}

}  // namespace

TEST(TextStreamApi, HoldsBackSplitCharactersAndPossibleStops) {
    auto s = stream_with({"END"});
    EXPECT_EQ(push(s.get(), "caf\xC3"), "caf");  // "é" split over two tokens
    EXPECT_EQ(push(s.get(), "\xA9 E"), "\xC3\xA9 ");
    EXPECT_EQ(push(s.get(), "x"), "Ex");  // "E" was not the start of "END" after all
    EXPECT_EQ(push(s.get(), "EN"), "");
    EXPECT_EQ(llmrt_text_stream_stopped(s.get()), 0);
    EXPECT_EQ(push(s.get(), "D tail"), "");  // stopped: the text before "END" was all sent
    EXPECT_EQ(llmrt_text_stream_stopped(s.get()), 1);
    EXPECT_EQ(push(s.get(), "more"), "");
    EXPECT_EQ(flush(s.get()), "");
}

TEST(TextStreamApi, FlushReturnsWhatWasHeldBack) {
    auto s = stream_with({"</s>"});
    EXPECT_EQ(push(s.get(), "a</"), "a");
    EXPECT_EQ(flush(s.get()), "</");
    auto plain = stream_with({});
    EXPECT_EQ(push(plain.get(), "\xE2\x82"), "");
    EXPECT_EQ(flush(plain.get()), "\xE2\x82");  // an incomplete character at the very end goes out as is
}

TEST(TextStreamApi, BadArgumentsAreRefused) {
    llmrt_text_stream *s = nullptr;
    const char *empty[] = {""};
    EXPECT_EQ(llmrt_text_stream_create(empty, 1, &s), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_text_stream_create(nullptr, 1, &s), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_text_stream_create(nullptr, 0, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(s, nullptr);
    auto ok = stream_with({});
    const char *text = nullptr;
    size_t len = 0;
    EXPECT_EQ(llmrt_text_stream_push(ok.get(), nullptr, 3, &text, &len), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_text_stream_push(nullptr, "a", 1, &text, &len), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_text_stream_flush(ok.get(), nullptr, &len), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_text_stream_stopped(nullptr), 0);
    llmrt_text_stream_free(nullptr);
}

// An application's own loop (greedy decode, pieces through a text stream, end-of-generation
// tokens) produces llmrt_generate's text, for a stop string that occurs and one that does not.
TEST(TextStreamApi, OwnLoopGivesTheGeneratedText) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    for (const char *stop : {"Lily", "zzz"}) {
        auto ctx = test::context(m.get(), 256);
        auto sampler = test::greedy_sampler();
        llmrt_generate_params gp;
        llmrt_generate_params_init(&gp);
        gp.max_new_tokens = 60;
        gp.stop_strings = &stop;
        gp.n_stop_strings = 1;
        Collected expected;
        ASSERT_EQ(llmrt_generate(ctx.get(), sampler.get(), "Once upon a time", &gp, collect, &expected), LLMRT_OK)
            << llmrt_last_error();

        auto own = test::context(m.get(), 256);
        std::vector<int32_t> ids = test::tokenize(m.get(), "Once upon a time");
        ASSERT_EQ(llmrt_decode(own.get(), ids.data(), static_cast<int32_t>(ids.size())), LLMRT_OK);
        auto stream = stream_with({stop});
        std::string text;
        for (int i = 0; i < 60 && !llmrt_text_stream_stopped(stream.get()); ++i) {
            const float *logits = llmrt_get_logits(own.get());
            int32_t best = 0;
            for (int32_t v = 1; v < llmrt_model_n_vocab(m.get()); ++v)
                if (logits[v] > logits[best]) best = v;
            if (llmrt_token_is_end_of_generation(m.get(), best)) break;
            text += push(stream.get(), piece(m.get(), best));
            ASSERT_EQ(llmrt_decode(own.get(), &best, 1), LLMRT_OK);
        }
        text += flush(stream.get());
        EXPECT_EQ(text, expected.text) << "stop string " << stop;
    }
}

TEST(EndOfGeneration, EosAndDeclaredEndOfTurnTokens) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    EXPECT_EQ(llmrt_token_is_end_of_generation(m.get(), llmrt_model_eos(m.get())), 1);
    EXPECT_EQ(llmrt_token_is_end_of_generation(m.get(), llmrt_model_bos(m.get())), 0);
    EXPECT_EQ(llmrt_token_is_end_of_generation(m.get(), 300), 0);
    EXPECT_EQ(llmrt_token_is_end_of_generation(m.get(), -1), 0);
    EXPECT_EQ(llmrt_token_is_end_of_generation(nullptr, 2), 0);
    // Llama 3's tokenizer declares <|eot_id|> as an end of turn, and Qwen2's <|im_end|>.
    for (const auto &[dir, marker] : {std::pair<std::string, std::string>{"llama32", "<|eot_id|>"},
                                      std::pair<std::string, std::string>{"qwen2", "<|im_end|>"}}) {
        auto sm = test::load(test::shared_path("models/synthetic/" + dir));
        ASSERT_TRUE(sm) << dir;
        llmrt_token id = -1;
        int32_t n = 0;
        ASSERT_EQ(llmrt_tokenize_flags(sm.get(), marker.data(), marker.size(), LLMRT_TOKENIZE_PARSE_SPECIAL, &id, 1, &n),
                  LLMRT_OK)
            << llmrt_last_error();
        EXPECT_EQ(llmrt_token_is_end_of_generation(sm.get(), id), 1) << marker;
        // Without parse_special the marker is ordinary text, several tokens.
        EXPECT_EQ(llmrt_tokenize_flags(sm.get(), marker.data(), marker.size(), 0, &id, 1, &n), LLMRT_ERR_BUFFER_TOO_SMALL);
        EXPECT_GT(n, 1);
        EXPECT_EQ(llmrt_token_is_end_of_generation(sm.get(), llmrt_model_eos(sm.get())), 1) << dir;
    }
}

TEST(TokenizeFlags, AddSpecialAndUnknownFlags) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    const std::string text = "Once upon a time";
    llmrt_token ids[16];
    int32_t n = 0;
    ASSERT_EQ(llmrt_tokenize_flags(m.get(), text.data(), text.size(), LLMRT_TOKENIZE_ADD_SPECIAL, ids, 16, &n), LLMRT_OK);
    EXPECT_EQ(std::vector<int32_t>(ids, ids + n), test::tokenize(m.get(), text));
    ASSERT_EQ(llmrt_tokenize_flags(m.get(), text.data(), text.size(), 0, ids, 16, &n), LLMRT_OK);
    EXPECT_EQ(std::vector<int32_t>(ids, ids + n), test::tokenize(m.get(), text, false));
    EXPECT_EQ(llmrt_tokenize_flags(m.get(), text.data(), text.size(), 4, ids, 16, &n), LLMRT_ERR_INVALID_ARGUMENT);
}

// What a chat session does around the template, as applications reach it.
TEST(ChatPromptApi, StopTextAndTokensAsTheChatSessionHasThem) {
    auto m = test::load(kModel);
    ASSERT_TRUE(m);
    char buf[64];
    size_t len = 0;
    ASSERT_EQ(llmrt_chat_template_stop_text(m.get(), llmrt_chat_plain_template(), buf, sizeof buf, &len), LLMRT_OK)
        << llmrt_last_error();
    EXPECT_EQ(std::string(buf, len), "\nUser:");
    const char chatml[] =
        "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}"
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    ASSERT_EQ(llmrt_chat_template_stop_text(m.get(), chatml, buf, sizeof buf, &len), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(std::string(buf, len), "<|im_end|>");
    EXPECT_EQ(llmrt_chat_template_stop_text(m.get(), nullptr, buf, sizeof buf, &len), LLMRT_ERR_INVALID_ARGUMENT);

    // Qwen2's tokenizer: the rendered markers are its control tokens; no BOS (it has none).
    auto q = test::load(test::shared_path("models/synthetic/qwen2"));
    ASSERT_TRUE(q);
    const std::string text = "<|im_start|>user\nhi<|im_end|>\n";
    llmrt_token ids[64];
    int32_t n = 0;
    ASSERT_EQ(llmrt_chat_tokenize(q.get(), text.data(), text.size(), ids, 64, &n), LLMRT_OK) << llmrt_last_error();
    llmrt_token expected[64];
    int32_t n_expected = 0;
    ASSERT_EQ(llmrt_tokenize_flags(q.get(), text.data(), text.size(), LLMRT_TOKENIZE_PARSE_SPECIAL, expected, 64,
                                   &n_expected),
              LLMRT_OK);
    EXPECT_EQ(std::vector<int32_t>(ids, ids + n), std::vector<int32_t>(expected, expected + n_expected));
    EXPECT_EQ(llmrt_token_is_end_of_generation(q.get(), ids[n - 2]), 1);  // <|im_end|>, before the "\n"
    // stories260K: BOS added, unless the rendering starts with its text.
    const std::string plain = "User: hi\nAssistant:";
    ASSERT_EQ(llmrt_chat_tokenize(m.get(), plain.data(), plain.size(), ids, 64, &n), LLMRT_OK);
    EXPECT_EQ(ids[0], llmrt_model_bos(m.get()));
    const std::string with_bos = "<s>" + plain;
    int32_t n_with = 0;
    ASSERT_EQ(llmrt_chat_tokenize(m.get(), with_bos.data(), with_bos.size(), expected, 64, &n_with), LLMRT_OK);
    EXPECT_EQ(std::vector<int32_t>(ids, ids + n), std::vector<int32_t>(expected, expected + n_with));
}
