// Byte-level BPE from GGUF metadata (tokenizer.ggml.model = "gpt2"): the gpt2, llama3 and qwen3
// tokenizer.json files are written into vocab-only GGUFs the way convert_hf_to_gguf.py does, and
// tokenize like llama.cpp did with its own conversion (reference llamacpp_* ids).
#include "formats/gguf_writer.h"
#include "tokenizer_test_util.h"

namespace llmrt {
namespace {

using test::ids_of;
using test::show;

// tokens by id (holes as [PAD<id>], unused), types (added special -> control, other added ->
// user-defined), merges as "a b".
std::string write_vocab_gguf(const std::string &name, const std::string &pre, int32_t bos, int32_t eos,
                             bool add_bos, const test::TempDir &dir) {
    const nlohmann::json tj = test::read_json(test::tokenizer_dir(name) + "/tokenizer.json");
    const nlohmann::json &vocab = tj.at("model").at("vocab");
    size_t n = vocab.size();
    for (const auto &t : tj.at("added_tokens")) n = std::max(n, t.at("id").get<size_t>() + 1);
    std::vector<std::string> tokens(n);
    std::vector<int32_t> types(n, 5);
    for (size_t i = 0; i < n; ++i) tokens[i] = "[PAD" + std::to_string(i) + "]";
    for (const auto &item : vocab.items()) {
        tokens[item.value().get<size_t>()] = item.key();
        types[item.value().get<size_t>()] = 1;
    }
    for (const auto &t : tj.at("added_tokens")) {
        tokens[t.at("id").get<size_t>()] = t.at("content").get<std::string>();
        types[t.at("id").get<size_t>()] = t.at("special").get<bool>() ? 3 : 4;
    }
    std::vector<std::string> merges;
    for (const auto &m : tj.at("model").at("merges")) {
        merges.push_back(m.is_array() ? m[0].get<std::string>() + " " + m[1].get<std::string>() : m.get<std::string>());
    }
    GgufWriter writer;
    writer.set_string("general.architecture", "llama");
    writer.set_string("tokenizer.ggml.model", "gpt2");
    writer.set_string("tokenizer.ggml.pre", pre);
    writer.set_string_array("tokenizer.ggml.tokens", tokens);
    writer.set_i32_array("tokenizer.ggml.token_type", types);
    writer.set_string_array("tokenizer.ggml.merges", merges);
    writer.set_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(bos));
    writer.set_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(eos));
    writer.set_bool("tokenizer.ggml.add_bos_token", add_bos);
    const std::string path = dir.file(name + ".gguf");
    writer.write(path);
    return path;
}

void expect_llamacpp_ids(const std::string &name, const std::string &pre, int32_t bos, int32_t eos, bool add_bos) {
    test::TempDir dir;
    const auto tok = load_tokenizer(read_gguf_checkpoint(write_vocab_gguf(name, pre, bos, eos, add_bos, dir)));
    EXPECT_EQ(tok->bos(), bos);
    EXPECT_EQ(tok->eos(), eos);
    const nlohmann::json ref = test::read_json(test::reference_path("tokenizers/" + name + ".json"));
    int agree = 0;
    for (size_t i = 0; i < ref.at("cases").size(); ++i) {
        const auto &c = ref.at("cases")[i];
        const std::string text = c.at("text").get<std::string>();
        // llama.cpp does not apply Qwen's NFC normalizer; we do, as HF does: there compare with HF.
        const bool nfc_case = name == "qwen3" && !c.at("agree").get<bool>();
        const std::string expected = show(ids_of(c.at(nfc_case ? "hf_ids" : "llamacpp_ids")));
        const std::string expected_special =
            show(ids_of(c.at(nfc_case ? "hf_ids_add_special" : "llamacpp_ids_add_special")));
        const std::string got = show(tok->encode(text, false, true));
        const std::string got_special = show(tok->encode(text, true, true));
        EXPECT_EQ(got, expected) << name << " case " << i << ": " << text;
        EXPECT_EQ(got_special, expected_special) << name << " case " << i << ": " << text;
        if (!nfc_case) {
            EXPECT_EQ(show(tok->encode(text, false, false)), show(ids_of(c.at("llamacpp_ids_no_parse_special"))))
                << name << " case " << i << ": " << text;
            EXPECT_EQ(tok->decode(ids_of(c.at("llamacpp_ids")), false), c.at("llamacpp_detok").get<std::string>())
                << name << " case " << i;
        }
        agree += (got == expected && got_special == expected_special) ? 1 : 0;
    }
    std::printf("%s (GGUF, pre %s): %d/76 cases equal\n", name.c_str(), pre.c_str(), agree);
}

TEST(GgufByteLevelBpe, Gpt2) { expect_llamacpp_ids("gpt2", "gpt-2", 50256, 50256, false); }
TEST(GgufByteLevelBpe, Llama3) { expect_llamacpp_ids("llama3", "llama-bpe", 128000, 128001, true); }
TEST(GgufByteLevelBpe, Qwen3) { expect_llamacpp_ids("qwen3", "qwen2", 151643, 151645, false); }

}  // namespace
}  // namespace llmrt
