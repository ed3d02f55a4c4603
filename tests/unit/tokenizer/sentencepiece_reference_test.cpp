// SentencePiece BPE against llama.cpp / python sentencepiece ids: stories260K (HF directory and
// GGUF), the Llama-2 32k tokenizer (tokenizer.model and a GGUF written from it), and the 76-string
// corpus of reference/tokenizers/llama2.json.
#include <chrono>

#include "formats/gguf_writer.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer_test_util.h"

namespace llmrt {
namespace {

using test::ids_of;
using test::show;

std::unique_ptr<Tokenizer> llama2_32k() {
    const std::string path = test::model_path("llama2-tokenizer-32k/tokenizer.model");
    return tokenizer_from_sentencepiece(test::read_text(path), path);
}

void expect_stories_prompts(const Tokenizer &tok) {
    const nlohmann::json ref = test::read_json(test::reference_path("stories260K.json"));
    EXPECT_EQ(tok.n_vocab(), ref.at("n_vocab").get<int32_t>());
    EXPECT_EQ(tok.bos(), ref.at("bos_id").get<int32_t>());
    EXPECT_EQ(tok.eos(), ref.at("eos_id").get<int32_t>());
    ASSERT_EQ(ref.at("prompts").size(), 3u);
    for (const auto &p : ref.at("prompts")) {
        const std::string prompt = p.at("prompt").get<std::string>();
        const std::vector<int32_t> expected = ids_of(p.at("prompt_token_ids"));
        EXPECT_EQ(show(tok.encode(prompt, true)), show(expected)) << prompt;
        EXPECT_EQ(tok.decode(expected, true), prompt);
        const std::vector<int32_t> generated = ids_of(p.at("greedy_token_ids"));
        EXPECT_FALSE(tok.decode(generated, true).empty());
    }
}

TEST(StoriesTokenizer, HfDirectoryMatchesLlamaCpp) {
    const auto tok = load_tokenizer(test::hf_directory_checkpoint(
        test::model_path("stories260K-hf"), test::read_json(test::model_path("stories260K-hf/config.json"))));
    expect_stories_prompts(*tok);
}

TEST(StoriesTokenizer, GgufMatchesLlamaCpp) {
    const Checkpoint ckpt = read_gguf_checkpoint(test::model_path("stories260K/stories260K.gguf"));
    const auto tok = load_tokenizer(ckpt);
    expect_stories_prompts(*tok);
    EXPECT_EQ(tok->end_of_generation_ids(), std::vector<int32_t>{2});
}

TEST(Llama2Tokenizer, MatchesLlamaCppAndSentencepiece) {
    const auto tok = llama2_32k();
    EXPECT_EQ(tok->n_vocab(), 32000);
    EXPECT_EQ(tok->bos(), 1);
    EXPECT_EQ(tok->eos(), 2);
    const nlohmann::json ref = test::read_json(test::reference_path("llama2-tokenizer-32k.json"));
    ASSERT_EQ(ref.at("cases").size(), 15u);
    for (const auto &c : ref.at("cases")) {
        const std::string text = c.at("text").get<std::string>();
        EXPECT_EQ(show(tok->encode(text, true)), show(ids_of(c.at("ids")))) << text;
        if (c.contains("ids_parse_special")) {
            EXPECT_EQ(show(tok->encode(text, true, true)), show(ids_of(c.at("ids_parse_special")))) << text;
        }
        EXPECT_EQ(tok->decode(tok->encode(text, true), true), text);
    }
}

TEST(Llama2Tokenizer, LoadsQuickly) {
    const std::string path = test::model_path("llama2-tokenizer-32k/tokenizer.model");
    const std::string bytes = test::read_text(path);
    const auto start = std::chrono::steady_clock::now();
    const auto tok = tokenizer_from_sentencepiece(bytes, path);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("llama2 32k tokenizer.model parsed and indexed in %.1f ms\n", ms);
    EXPECT_LT(ms, 1000.0);  // ~10 ms in a Release build; generous for sanitizer builds
    EXPECT_EQ(tok->n_vocab(), 32000);
}

TEST(Llama2Tokenizer, LongInputStaysFast) {
    const auto tok = llama2_32k();
    std::string text;
    for (int i = 0; i < 2000; ++i) text += "The quick brown fox jumps over the lazy dog. ";
    const auto start = std::chrono::steady_clock::now();
    const std::vector<int32_t> ids = tok->encode(text, false);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("encoded %zu bytes into %zu tokens in %.1f ms\n", text.size(), ids.size(), ms);
    EXPECT_EQ(tok->decode(ids, true), text);
    // Without a pre-tokenizer the whole text is one word: this checks the merge loop is not quadratic.
    std::string one_word(20000, 'a');
    EXPECT_EQ(tok->decode(tok->encode(one_word, false), true), one_word);
}

TEST(Llama2Tokenizer, PiecesAndDecode) {
    const auto tok = llama2_32k();
    EXPECT_EQ(tok->piece(15043), " Hello");  // "▁Hello"
    EXPECT_EQ(tok->piece(13), "\n");         // <0x0A>
    EXPECT_EQ(tok->piece(1), "");            // <s>: control
    EXPECT_EQ(tok->piece(0), "");            // <unk>
    EXPECT_EQ(tok->piece(-1), "");
    EXPECT_EQ(tok->piece(32000), "");
    EXPECT_TRUE(tok->is_control(1));
    EXPECT_TRUE(tok->is_control(2));
    EXPECT_FALSE(tok->is_control(15043));
    EXPECT_FALSE(tok->is_control(0));
    EXPECT_EQ(tok->find_token("\xe2\x96\x81Hello"), 15043);
    EXPECT_EQ(tok->find_token("no such token"), -1);

    // The dummy-prefix space is dropped from the first piece only; control tokens appear as
    // their text unless skipped.
    EXPECT_EQ(tok->decode({1, 15043, 3186}, true), "Hello world");
    EXPECT_EQ(tok->decode({1, 15043, 3186}, false), "<s> Hello world");
    EXPECT_EQ(tok->decode({29871, 15043}, true), " Hello");
    EXPECT_EQ(tok->decode({15043, 2}, false), "Hello</s>");
    EXPECT_EQ(tok->decode({15043, 99999, -5}, true), "Hello");
    // Byte tokens of one character come back as its UTF-8 bytes.
    EXPECT_EQ(tok->decode({243, 162, 169, 156}, true), "\xf0\x9f\xa6\x99");
    EXPECT_EQ(tok->decode({243, 162}, true), "\xf0\x9f");  // partial: raw bytes, no U+FFFD
    // Invalid UTF-8 input comes back byte for byte.
    for (const std::string text : {"\xe2\x96 x\xff", "caf\xc3", "\xf0\x9f\xa6 \xa6\xa6"}) {
        EXPECT_EQ(tok->decode(tok->encode(text, true), true), text);
    }
}

// The 76-string corpus: llama.cpp (no parse special) == python sentencepiece on all of them.
TEST(Llama2Tokenizer, CorpusMatchesLlamaCpp) {
    const auto tok = llama2_32k();
    const nlohmann::json ref = test::read_json(test::reference_path("tokenizers/llama2.json"));
    ASSERT_EQ(ref.at("cases").size(), 76u);
    for (const auto &c : ref.at("cases")) {
        const std::string text = c.at("text").get<std::string>();
        const std::vector<int32_t> plain = tok->encode(text, false);
        EXPECT_EQ(show(plain), show(ids_of(c.at("llamacpp_ids_no_parse_special")))) << text;
        EXPECT_EQ(show(plain), show(ids_of(c.at("sentencepiece_ids")))) << text;
        // With parse_special, llama.cpp's behaviour (dummy prefix again after each special).
        EXPECT_EQ(show(tok->encode(text, false, true)), show(ids_of(c.at("llamacpp_ids")))) << text;
        EXPECT_EQ(show(tok->encode(text, true, true)), show(ids_of(c.at("llamacpp_ids_add_special")))) << text;
        // Round trip, except for a literal "▁" in the input, which decodes to a space.
        if (text.find("\xe2\x96\x81") == std::string::npos) {
            EXPECT_EQ(tok->decode(plain, false), text);
        }
        EXPECT_EQ(tok->decode(ids_of(c.at("llamacpp_ids")), false), c.at("llamacpp_detok").get<std::string>()) << text;
    }
}

// A GGUF that holds only the 32k tokenizer (as convert_hf_to_gguf.py writes it) tokenizes the same.
TEST(Llama2Tokenizer, GgufCopyGivesTheSameIds) {
    const std::string model_file = test::model_path("llama2-tokenizer-32k/tokenizer.model");
    const SpmModelData model = parse_sentencepiece_model(test::read_text(model_file), model_file);
    std::vector<int32_t> types;
    for (const TokenType t : model.types) types.push_back(static_cast<int32_t>(t));

    GgufWriter writer;
    writer.set_string("general.architecture", "llama");
    writer.set_string("tokenizer.ggml.model", "llama");
    writer.set_string_array("tokenizer.ggml.tokens", model.pieces);
    writer.set_f32_array("tokenizer.ggml.scores", model.scores);
    writer.set_i32_array("tokenizer.ggml.token_type", types);
    writer.set_u32("tokenizer.ggml.bos_token_id", 1);
    writer.set_u32("tokenizer.ggml.eos_token_id", 2);
    writer.set_u32("tokenizer.ggml.unknown_token_id", 0);
    writer.set_bool("tokenizer.ggml.add_bos_token", true);
    writer.set_bool("tokenizer.ggml.add_eos_token", false);
    writer.set_bool("tokenizer.ggml.add_space_prefix", true);
    test::TempDir dir;
    const std::string path = dir.file("llama2-tokenizer.gguf");
    writer.write(path);

    const auto from_gguf = load_tokenizer(read_gguf_checkpoint(path));
    const auto from_model = llama2_32k();
    EXPECT_EQ(from_gguf->n_vocab(), 32000);
    const nlohmann::json ref = test::read_json(test::reference_path("llama2-tokenizer-32k.json"));
    for (const auto &c : ref.at("cases")) {
        const std::string text = c.at("text").get<std::string>();
        EXPECT_EQ(show(from_gguf->encode(text, true)), show(ids_of(c.at("ids")))) << text;
    }
    const nlohmann::json corpus = test::read_json(test::reference_path("tokenizers/corpus.json"));
    for (const auto &c : corpus) {
        const std::string text = c.get<std::string>();
        EXPECT_EQ(show(from_gguf->encode(text, true, true)), show(from_model->encode(text, true, true))) << text;
        if (text.find("\xe2\x96\x81") == std::string::npos) {
            EXPECT_EQ(from_gguf->decode(from_gguf->encode(text, false), false), text);
        }
    }
}

}  // namespace
}  // namespace llmrt
