// tokenizer.json pipelines against the HF reference ids of reference/tokenizers/<name>.json
// (76 strings each; HF splits special-token text out of the input, so encode with
// parse_special=true), their decodes, and round trips.
#include <chrono>

#include "tokenizer_test_util.h"

namespace llmrt {
namespace {

using test::ids_of;
using test::show;

struct Reference {
    std::unique_ptr<Tokenizer> tok;
    nlohmann::json cases;
};

// Through load_tokenizer on the directory, as a model would load it. Directories with a
// tokenizer.model would use it instead; `force_json` reads tokenizer.json regardless.
Reference load_reference(const std::string &name, bool force_json = false) {
    const std::string dir = test::tokenizer_dir(name);
    Reference r;
    const auto start = std::chrono::steady_clock::now();
    if (force_json) {
        const nlohmann::json config = test::read_json(dir + "/tokenizer_config.json");
        r.tok = tokenizer_from_json(test::read_text(dir + "/tokenizer.json"), config, nlohmann::json::object(),
                                    dir + "/tokenizer.json");
    } else {
        r.tok = load_tokenizer(test::hf_directory_checkpoint(dir));
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: loaded %d tokens in %.0f ms\n", name.c_str(), r.tok->n_vocab(), ms);
    r.cases = test::read_json(test::reference_path("tokenizers/" + name + ".json")).at("cases");
    EXPECT_EQ(r.cases.size(), 76u);
    return r;
}

// Returns the number of cases whose ids (with and without add_special) equal HF's.
int compare_ids(const Reference &r, const std::string &name) {
    int agree = 0;
    for (size_t i = 0; i < r.cases.size(); ++i) {
        const auto &c = r.cases[i];
        const std::string text = c.at("text").get<std::string>();
        const std::string got = show(r.tok->encode(text, false, true));
        const std::string got_special = show(r.tok->encode(text, true, true));
        const bool ok = got == show(ids_of(c.at("hf_ids"))) && got_special == show(ids_of(c.at("hf_ids_add_special")));
        EXPECT_EQ(got, show(ids_of(c.at("hf_ids")))) << name << " case " << i << ": " << text;
        EXPECT_EQ(got_special, show(ids_of(c.at("hf_ids_add_special")))) << name << " case " << i << ": " << text;
        agree += ok ? 1 : 0;
    }
    std::printf("%s: %d/%zu cases equal HF\n", name.c_str(), agree, r.cases.size());
    return agree;
}

// decode(hf_ids) == hf_decoded, and decode(encode(s)) == s wherever HF's decode gives s back.
void compare_decode(const Reference &r, const std::string &name) {
    int round_trips = 0;
    for (size_t i = 0; i < r.cases.size(); ++i) {
        const auto &c = r.cases[i];
        const std::string text = c.at("text").get<std::string>();
        const std::vector<int32_t> hf_ids = ids_of(c.at("hf_ids"));
        if (c.at("hf_decoded").is_string()) {
            const std::string hf_decoded = c.at("hf_decoded").get<std::string>();
            EXPECT_EQ(r.tok->decode(hf_ids, false), hf_decoded) << name << " case " << i;
            if (hf_decoded == text) {
                EXPECT_EQ(r.tok->decode(r.tok->encode(text, false, true), false), text) << name << " case " << i;
                EXPECT_EQ(r.tok->decode(r.tok->encode(text, false, false), false), text) << name << " case " << i;
                ++round_trips;
            }
        }
        // Skipping special tokens drops exactly the control tokens (byte-level tokenizers without
        // clean_up_tokenization_spaces: there decode is the concatenation of the pieces).
        std::string joined;
        for (const int32_t id : hf_ids) joined += r.tok->piece(id);
        if (name == "gpt2" || name == "qwen3" || name == "gpt4o") {
            EXPECT_EQ(r.tok->decode(hf_ids, true), joined) << name << " case " << i;
        }
    }
    std::printf("%s: %d round trips checked\n", name.c_str(), round_trips);
}

TEST(HfTokenizerJson, Gpt2) {
    const Reference r = load_reference("gpt2");
    EXPECT_EQ(r.tok->n_vocab(), 50257);
    EXPECT_EQ(r.tok->bos(), 50256);
    EXPECT_EQ(r.tok->eos(), 50256);
    EXPECT_EQ(r.tok->end_of_generation_ids(), std::vector<int32_t>{50256});
    EXPECT_EQ(compare_ids(r, "gpt2"), 76);
    compare_decode(r, "gpt2");
    EXPECT_EQ(r.tok->piece(15496), "Hello");
    EXPECT_EQ(r.tok->piece(995), " world");
    EXPECT_EQ(r.tok->piece(50256), "");
    EXPECT_EQ(r.tok->decode({15496, 50256}, false), "Hello<|endoftext|>");
    EXPECT_EQ(r.tok->decode({15496, 50256}, true), "Hello");
    // Without parse_special the marker is plain text.
    EXPECT_EQ(show(r.tok->encode("<|endoftext|>", false)), show({27, 91, 437, 1659, 5239, 91, 29}));
}

TEST(HfTokenizerJson, Llama3) {
    const Reference r = load_reference("llama3");
    EXPECT_EQ(r.tok->n_vocab(), 128256);
    EXPECT_EQ(r.tok->bos(), 128000);
    EXPECT_EQ(r.tok->eos(), 128001);
    const std::vector<int32_t> eog = r.tok->end_of_generation_ids();
    EXPECT_NE(std::find(eog.begin(), eog.end(), 128001), eog.end());
    EXPECT_NE(std::find(eog.begin(), eog.end(), 128009), eog.end());  // <|eot_id|>
    EXPECT_EQ(compare_ids(r, "llama3"), 76);
    compare_decode(r, "llama3");
}

TEST(HfTokenizerJson, Qwen3) {
    const Reference r = load_reference("qwen3");
    EXPECT_EQ(r.tok->n_vocab(), 151669);
    EXPECT_EQ(r.tok->bos(), -1);
    EXPECT_EQ(r.tok->eos(), 151645);  // <|im_end|>
    const std::vector<int32_t> eog = r.tok->end_of_generation_ids();
    EXPECT_NE(std::find(eog.begin(), eog.end(), 151643), eog.end());  // <|endoftext|>
    EXPECT_NE(std::find(eog.begin(), eog.end(), 151645), eog.end());
    EXPECT_EQ(compare_ids(r, "qwen3"), 76);
    compare_decode(r, "qwen3");
    // <think> is an added, non-special token: recognised even without parse_special.
    EXPECT_EQ(show(r.tok->encode("<think>", false)), show({151667}));
    EXPECT_FALSE(r.tok->is_control(151667));
    EXPECT_EQ(r.tok->piece(151667), "<think>");
}

TEST(HfTokenizerJson, Mistral) {
    const Reference r = load_reference("mistral");
    EXPECT_EQ(r.tok->n_vocab(), 32000);
    EXPECT_EQ(r.tok->bos(), 1);
    EXPECT_EQ(r.tok->eos(), 2);
    EXPECT_EQ(compare_ids(r, "mistral"), 76);
    compare_decode(r, "mistral");
}

// The tokenizer.json converted from Llama-2's tokenizer.model (legacy=false).
TEST(HfTokenizerJson, Llama2Json) {
    const Reference r = load_reference("llama2", true);
    EXPECT_EQ(compare_ids(r, "llama2"), 76);
    compare_decode(r, "llama2");
}

TEST(HfTokenizerJson, Gemma3) {
    const Reference r = load_reference("gemma3");
    EXPECT_EQ(compare_ids(r, "gemma3"), 76);
    compare_decode(r, "gemma3");
}

TEST(HfTokenizerJson, Gpt4o) {
    const Reference r = load_reference("gpt4o");
    EXPECT_EQ(compare_ids(r, "gpt4o"), 76);
    compare_decode(r, "gpt4o");
}

}  // namespace
}  // namespace llmrt

namespace llmrt {
namespace {

// Text that is not valid UTF-8 still round-trips: byte-level BPE encodes raw bytes, the
// SentencePiece-style models fall back to byte tokens; regexes and NFC only see valid runs.
TEST(HfTokenizerJson, InvalidUtf8RoundTrips) {
    const std::string texts[] = {"\xff", "a\xfe\xff b", "caf\xc3", "\xe2\x96 x\xf0\x9f\xa6", "e\xcc\x81\xff\xcc\x81 ok"};
    for (const char *name : {"gpt2", "llama3", "qwen3", "mistral"}) {
        const auto tok = load_tokenizer(test::hf_directory_checkpoint(test::tokenizer_dir(name)));
        for (const std::string &text : texts) {
            const std::vector<int32_t> ids = tok->encode(text, false, true);
            std::string expected = text;
            if (std::string(name) == "qwen3") expected = text == texts[4] ? "\xc3\xa9\xff\xcc\x81 ok" : text;  // NFC
            EXPECT_EQ(tok->decode(ids, false), expected) << name << ": " << test::show(ids);
        }
    }
}

}  // namespace
}  // namespace llmrt
