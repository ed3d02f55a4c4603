// Families whose Hugging Face tensors are rearranged on load (GPT-2's transposed Conv1D, fused
// qkv in per-head or per-kv-group order, Gemma's w - 1 norms, Baichuan's NormHead) through an
// llmrt file and back: the rearranged tensors are written under their GGUF names, already in the
// runtime's layout, and read back without a second rearrangement, so the file computes exactly
// what the in-memory model it was written from computes. Also: an unknown architecture is
// refused by name, and HF files saved without the "transformer." prefix (the hub's gpt2 and
// bloom-560m) load as the prefixed ones do.
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "test_support.h"

namespace {

namespace fs = std::filesystem;

// A fresh directory under /tmp, removed with what it holds.
class TempDir {
public:
    TempDir() {
        char pattern[] = "/tmp/llmrt-family-files-XXXXXX";
        const char *p = mkdtemp(pattern);
        EXPECT_NE(p, nullptr);
        path_ = p ? p : "/tmp";
    }
    ~TempDir() {
        std::error_code ec;
        if (path_ != "/tmp") fs::remove_all(path_, ec);
    }
    const std::string &path() const { return path_; }
    std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

std::string synthetic(const std::string &arch) { return test::shared_path("models/synthetic/" + arch); }

std::vector<int32_t> first_prompt(const std::string &arch) {
    const nlohmann::json ref = test::read_json(test::shared_path("reference/synthetic/" + arch + ".json"));
    return ref["prompts"][0]["prompt_token_ids"].get<std::vector<int32_t>>();
}

std::vector<float> next_token_logits(llmrt_model *m, const std::vector<int32_t> &ids) {
    auto ctx = test::context(m, 256);
    EXPECT_EQ(llmrt_decode(ctx.get(), ids.data(), static_cast<int32_t>(ids.size())), LLMRT_OK) << llmrt_last_error();
    const float *l = llmrt_get_logits(ctx.get());
    return l ? std::vector<float>(l, l + llmrt_model_n_vocab(m)) : std::vector<float>();
}

std::vector<int32_t> greedy16(llmrt_model *m, const std::vector<int32_t> &prompt) {
    auto ctx = test::context(m, 256);
    return test::greedy_ids(ctx.get(), m, prompt, 16);
}

double max_abs_diff(const std::vector<float> &a, const std::vector<float> &b) {
    EXPECT_EQ(a.size(), b.size());
    double d = 0.0;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, std::fabs(double(a[i]) - b[i]));
    return d;
}

// The tensor names of an llmrt file, as llmrt_check_file visits them (checksums verified).
std::set<std::string> file_tensor_names(const std::string &path) {
    std::set<std::string> names;
    const llmrt_status st = llmrt_check_file(
        path.c_str(),
        [](const char *kind, const char *name, int32_t ok, void *user_data) -> int32_t {
            EXPECT_EQ(ok, 1) << name;
            if (std::strcmp(kind, "tensor") == 0) static_cast<std::set<std::string> *>(user_data)->insert(name);
            return 0;
        },
        &names);
    EXPECT_EQ(st, LLMRT_OK) << llmrt_last_error();
    return names;
}

struct Family {
    const char *arch;
    // Tensors rearranged on load: their GGUF names must be in the file, their HF names not.
    std::vector<std::string> canonical;
    std::vector<std::string> hf_rearranged;
    // Tensors used as they are: kept under their HF names.
    std::vector<std::string> hf_kept;
};

const Family kFamilies[] = {
    {"gpt2",
     {"blk.0.attn_qkv.weight", "blk.0.attn_output.weight", "blk.0.ffn_up.weight", "blk.1.ffn_down.weight"},
     {"transformer.h.0.attn.c_attn.weight", "transformer.h.0.attn.c_proj.weight", "transformer.h.0.mlp.c_fc.weight",
      "transformer.h.1.mlp.c_proj.weight"},
     {"transformer.h.0.attn.c_attn.bias", "transformer.wte.weight", "transformer.wpe.weight"}},
    {"gpt_neox",
     {"blk.0.attn_qkv.weight", "blk.0.attn_qkv.bias", "blk.1.attn_qkv.weight"},
     {"gpt_neox.layers.0.attention.query_key_value.weight", "gpt_neox.layers.0.attention.query_key_value.bias"},
     {"gpt_neox.layers.0.attention.dense.weight", "embed_out.weight"}},
    {"bloom",
     {"blk.0.attn_qkv.weight", "blk.0.attn_qkv.bias"},
     {"transformer.h.0.self_attention.query_key_value.weight", "transformer.h.0.self_attention.query_key_value.bias"},
     {"transformer.h.0.self_attention.dense.weight"}},
    {"falcon",
     {"blk.0.attn_qkv.weight", "blk.1.attn_qkv.weight"},
     {"transformer.h.0.self_attention.query_key_value.weight"},
     {"transformer.h.0.ln_attn.weight", "transformer.h.0.ln_mlp.weight"}},
    {"falcon7b",
     {"blk.0.attn_qkv.weight"},
     {"transformer.h.0.self_attention.query_key_value.weight"},
     {"transformer.h.0.input_layernorm.weight"}},
    {"gemma",
     {"blk.0.attn_norm.weight", "blk.0.ffn_norm.weight", "output_norm.weight"},
     {"model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight", "model.norm.weight"},
     {"model.layers.0.self_attn.q_proj.weight", "model.embed_tokens.weight"}},
    {"baichuan", {"output.weight"}, {"lm_head.weight"}, {"model.layers.0.self_attn.W_pack.weight"}},
};

struct Case {
    const Family *family;
    bool int8;  // else every matrix kept in f32
};

class FamilyFile : public ::testing::TestWithParam<Case> {};

TEST_P(FamilyFile, WrittenAndReloadedComputesWhatTheInMemoryModelDoes) {
    const Family &f = *GetParam().family;
    const bool int8 = GetParam().int8;
    const std::string src = synthetic(f.arch);
    llmrt_quant_params qp;
    llmrt_quant_params_init(&qp);
    qp.weight_dtype = "int8";
    if (!int8) qp.tensor_overrides = "*=f32";

    TempDir dir;
    const std::string out = dir.file("model.llmrt");
    llmrt_quantizer *q = nullptr;
    ASSERT_EQ(llmrt_quantizer_create(&qp, &q), LLMRT_OK) << llmrt_last_error();
    const llmrt_status st = llmrt_quantize(q, src.c_str(), out.c_str());
    llmrt_quantizer_free(q);
    ASSERT_EQ(st, LLMRT_OK) << llmrt_last_error();

    // Rearranged tensors under their GGUF names, the others under their HF names.
    const std::set<std::string> names = file_tensor_names(out);
    for (const std::string &n : f.canonical) EXPECT_EQ(names.count(n), 1u) << n << " missing from the file";
    for (const std::string &n : f.hf_rearranged) EXPECT_EQ(names.count(n), 0u) << n << " stored in its HF layout";
    for (const std::string &n : f.hf_kept) EXPECT_EQ(names.count(n), 1u) << n << " missing from the file";

    llmrt_model_params mp;
    llmrt_model_params_init(&mp);
    mp.quantize = &qp;
    llmrt_model *in_memory = nullptr;
    ASSERT_EQ(llmrt_model_load(src.c_str(), &mp, &in_memory), LLMRT_OK) << llmrt_last_error();
    test::ModelPtr mem(in_memory);
    auto file = test::load(out);
    ASSERT_TRUE(file);

    EXPECT_STREQ(llmrt_model_architecture(file.get()), llmrt_model_architecture(mem.get()));
    EXPECT_STREQ(llmrt_model_weight_type(file.get()), llmrt_model_weight_type(mem.get()));
    EXPECT_STREQ(llmrt_model_weight_type(file.get()), int8 ? "int8_g32_sym_fp32" : "f32");
    EXPECT_EQ(llmrt_model_weight_bytes(file.get()), llmrt_model_weight_bytes(mem.get()));
    EXPECT_EQ(llmrt_model_n_params(file.get()), llmrt_model_n_params(mem.get()));

    const std::vector<int32_t> prompt = first_prompt(f.arch);
    const std::vector<float> mem_logits = next_token_logits(mem.get(), prompt);
    const std::vector<float> file_logits = next_token_logits(file.get(), prompt);
    EXPECT_LE(max_abs_diff(file_logits, mem_logits), 1e-6) << "file vs in-memory model";
    EXPECT_EQ(greedy16(file.get(), prompt), greedy16(mem.get(), prompt));

    if (!int8) {
        // Kept in f32, the file is the original model: the same logits as the HF directory, and
        // the float64 reference's logits and greedy tokens.
        auto original = test::load(src);
        ASSERT_TRUE(original);
        EXPECT_LE(max_abs_diff(file_logits, next_token_logits(original.get(), prompt)), 1e-6) << "file vs HF directory";
        const nlohmann::json ref = test::read_json(test::shared_path("reference/synthetic/" + std::string(f.arch) + ".json"));
        const auto &fp64 = ref["prompts"][0]["hf_fp64"];
        const auto ref_logits = fp64["next_token_logits"].get<std::vector<double>>();
        ASSERT_EQ(ref_logits.size(), file_logits.size());
        double d = 0.0;
        for (size_t i = 0; i < ref_logits.size(); ++i) d = std::max(d, std::fabs(ref_logits[i] - file_logits[i]));
        EXPECT_LT(d, 1e-4) << "file vs float64 reference";
        EXPECT_EQ(greedy16(file.get(), prompt), fp64["greedy_token_ids"].get<std::vector<int32_t>>());
    }
}

std::vector<Case> cases() {
    std::vector<Case> out;
    for (const Family &f : kFamilies) {
        out.push_back({&f, true});
        out.push_back({&f, false});
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(Rearranged, FamilyFile, ::testing::ValuesIn(cases()), [](const auto &info) {
    return std::string(info.param.family->arch) + (info.param.int8 ? "_int8" : "_f32");
});

// ---- unknown architectures ----------------------------------------------------------------------

void copy_dir(const std::string &from, const std::string &to) {
    for (const auto &entry : fs::directory_iterator(from))
        fs::copy_file(entry.path(), to + "/" + entry.path().filename().string());
}

std::string read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << path;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string &path, const std::string &bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    EXPECT_TRUE(out.good()) << path;
}

void expect_unsupported_naming(const std::string &path, const std::string &arch) {
    llmrt_model *m = reinterpret_cast<llmrt_model *>(0x1);
    EXPECT_EQ(llmrt_model_load(path.c_str(), nullptr, &m), LLMRT_ERR_UNSUPPORTED) << llmrt_last_error();
    EXPECT_EQ(m, nullptr);
    const std::string message = llmrt_last_error();
    EXPECT_NE(message.find("'" + arch + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("unknown architecture"), std::string::npos) << message;
}

TEST(UnknownArchitecture, HfConfigIsRefusedByName) {
    TempDir dir;
    copy_dir(synthetic("llama"), dir.path());
    nlohmann::json config = test::read_json(dir.file("config.json"));
    config["architectures"] = {"FrobnicatorForCausalLM"};
    write_file(dir.file("config.json"), config.dump(2));
    expect_unsupported_naming(dir.path(), "FrobnicatorForCausalLM");
}

TEST(UnknownArchitecture, GgufGeneralArchitectureIsRefusedByName) {
    // stories260K.gguf with general.architecture "llama" replaced by "zlama" (same length: the
    // rest of the file stays where it is).
    std::string bytes = read_file(test::source_path("models/stories260K/stories260K.gguf"));
    const std::string key = "general.architecture";
    const size_t at = bytes.find(key);
    ASSERT_NE(at, std::string::npos);
    const size_t value = at + key.size() + 4 /* type */ + 8 /* length */;
    ASSERT_EQ(bytes.substr(value, 5), "llama");
    ASSERT_EQ(bytes[at + key.size()], 8) << "general.architecture is a string";
    bytes[value] = 'z';
    TempDir dir;
    write_file(dir.file("zlama.gguf"), bytes);
    expect_unsupported_naming(dir.file("zlama.gguf"), "zlama");
}

// ---- HF files without the "transformer." prefix ---------------------------------------------------

// A copy of a synthetic checkpoint whose safetensors names lose their "transformer." prefix, as
// the hub's gpt2 and bloom-560m files were saved. The data area is unchanged (offsets are
// relative to it), so only the header is rewritten.
size_t write_unprefixed_copy(const std::string &from, const std::string &to) {
    copy_dir(from, to);
    const std::string bytes = read_file(from + "/model.safetensors");
    uint64_t header_len = 0;
    for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
    const nlohmann::json header = nlohmann::json::parse(bytes.substr(8, header_len));
    nlohmann::json renamed = nlohmann::json::object();
    const std::string prefix = "transformer.";
    size_t n_renamed = 0;
    for (auto it = header.begin(); it != header.end(); ++it) {
        std::string name = it.key();
        if (name.compare(0, prefix.size(), prefix) == 0) {
            name = name.substr(prefix.size());
            ++n_renamed;
        }
        renamed[name] = it.value();
    }
    std::string text = renamed.dump();
    while ((8 + text.size()) % 8 != 0) text += ' ';  // keep the data area 8-aligned
    std::string out;
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((static_cast<uint64_t>(text.size()) >> (8 * i)) & 0xFF));
    out += text;
    out += bytes.substr(8 + header_len);
    write_file(to + "/model.safetensors", out);
    return n_renamed;
}

class Unprefixed : public ::testing::TestWithParam<std::string> {};

TEST_P(Unprefixed, LoadsAndComputesAsThePrefixedFile) {
    const std::string arch = GetParam();
    TempDir dir;
    const size_t n_renamed = write_unprefixed_copy(synthetic(arch), dir.path());
    const nlohmann::json header_check = [&] {
        const std::string bytes = read_file(dir.file("model.safetensors"));
        uint64_t n = 0;
        for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
        return nlohmann::json::parse(bytes.substr(8, n));
    }();
    // Every tensor was renamed (the synthetic files name all of them with the prefix).
    EXPECT_EQ(n_renamed + (header_check.contains("__metadata__") ? 1 : 0), header_check.size());
    for (auto it = header_check.begin(); it != header_check.end(); ++it)
        EXPECT_EQ(it.key().find("transformer."), std::string::npos) << it.key();

    auto original = test::load(synthetic(arch));
    auto renamed = test::load(dir.path());
    ASSERT_TRUE(original);
    ASSERT_TRUE(renamed);
    EXPECT_EQ(llmrt_model_n_params(renamed.get()), llmrt_model_n_params(original.get()));
    const std::vector<int32_t> prompt = first_prompt(arch);
    EXPECT_EQ(next_token_logits(renamed.get(), prompt), next_token_logits(original.get(), prompt));
    EXPECT_EQ(greedy16(renamed.get(), prompt), greedy16(original.get(), prompt));
}

INSTANTIATE_TEST_SUITE_P(HubNames, Unprefixed, ::testing::Values("gpt2", "bloom"),
                         [](const auto &info) { return info.param; });

}  // namespace
