// Quantized-model export through the C API (llmrt_quant_params.output_format): a GGUF file or an
// HF GPTQ directory, loaded back by llmrt, computes exactly what the llmrt file of the same
// quantization computes; what a format cannot hold is a clear LLMRT_ERR_UNSUPPORTED.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "test_support.h"

namespace {

const std::string kStories = test::source_path("models/stories260K/stories260K.gguf");
const std::string kDebdoc = test::shared_path("models/debdoc-8M-hf");
const std::string kCalib = test::shared_path("data/calibration/tinyshakespeare.txt");

std::string temp_dir() {
    char tmpl[] = "/tmp/llmrt-export-XXXXXX";
    const char *dir = mkdtemp(tmpl);
    EXPECT_NE(dir, nullptr);
    return dir ? dir : "/tmp";
}

void remove_all(const std::string &dir) { EXPECT_EQ(std::system(("rm -rf " + dir).c_str()), 0); }

bool exists(const std::string &path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::vector<std::string> dir_entries(const std::string &dir) {
    std::vector<std::string> names;
    FILE *p = popen(("ls -A " + dir).c_str(), "r");
    char line[512];
    while (p && fgets(line, sizeof line, p)) names.emplace_back(line);
    if (p) pclose(p);
    return names;
}

struct Settings {
    const char *dtype = "int4";
    int32_t group = 32;
    int32_t asym = 0;
    const char *scale = "fp16";
    const char *overrides = nullptr;
    const char *algorithm = "rtn";
    const char *compute = "auto";
};

llmrt_status quantize(const std::string &in, const std::string &out, const Settings &s, const char *format) {
    llmrt_quant_params p;
    llmrt_quant_params_init(&p);
    p.weight_dtype = s.dtype;
    p.group_size = s.group;
    p.asym = s.asym;
    p.scale_dtype = s.scale;
    p.tensor_overrides = s.overrides;
    p.algorithm = s.algorithm;
    p.compute_dtype = s.compute;
    p.output_format = format;
    if (std::strcmp(s.algorithm, "rtn") != 0) {
        p.calibration_path = kCalib.c_str();
        p.n_samples = 4;
        p.seq_len = 64;
    }
    llmrt_quantizer *q = nullptr;
    llmrt_status st = llmrt_quantizer_create(&p, &q);
    if (st == LLMRT_OK) st = llmrt_quantize(q, in.c_str(), out.c_str());
    llmrt_quantizer_free(q);
    return st;
}

// compute: for weights the file stores quantized ("auto": the fastest this CPU has).
std::vector<float> next_token_logits(const std::string &path, const char *compute = "auto") {
    llmrt_model_params mp;
    llmrt_model_params_init(&mp);
    mp.compute_dtype = compute;
    llmrt_model *raw = nullptr;
    EXPECT_EQ(llmrt_model_load(path.c_str(), &mp, &raw), LLMRT_OK) << path << ": " << llmrt_last_error();
    test::ModelPtr m(raw);
    if (!m) return {};
    const std::vector<int32_t> ids = test::tokenize(m.get(), "Once upon a time, there was a little");
    auto ctx = test::context(m.get());
    EXPECT_EQ(llmrt_decode(ctx.get(), ids.data(), static_cast<int32_t>(ids.size())), LLMRT_OK) << llmrt_last_error();
    const float *l = llmrt_get_logits(ctx.get());
    return std::vector<float>(l, l + llmrt_model_n_vocab(m.get()));
}

void expect_bit_identical(const std::vector<float> &a, const std::vector<float> &b) {
    ASSERT_EQ(a.size(), b.size());
    ASSERT_FALSE(a.empty());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
}

// Exported, reloaded and compared with the llmrt file of the same quantization.
void round_trip(const std::string &in, const Settings &s, const char *format) {
    const std::string dir = temp_dir();
    const std::string reference = dir + "/model.llmrt", exported = dir + "/exported";
    ASSERT_EQ(quantize(in, reference, s, "llmrt"), LLMRT_OK) << llmrt_last_error();
    ASSERT_EQ(quantize(in, exported, s, format), LLMRT_OK) << llmrt_last_error();
    expect_bit_identical(next_token_logits(reference), next_token_logits(exported));
    remove_all(dir);
}

// stories260K's feed-forward width (172) is no whole number of 32-value blocks: its down
// projection stays f32 in the GGUF cases.
const char *kStoriesGguf = "token_embd=int8;ffn_down=f32";

TEST(ExportGguf, Q4_0RoundTripIsBitIdentical) {
    Settings s;
    s.overrides = kStoriesGguf;
    round_trip(kStories, s, "gguf");
}

TEST(ExportGguf, Q4_1RoundTripIsBitIdentical) {
    Settings s;
    s.asym = 1;
    s.overrides = "token_embd=f32;ffn_down=f32";
    round_trip(kStories, s, "gguf");
}

TEST(ExportGguf, Q8_0RoundTripIsBitIdentical) {
    Settings s;
    s.dtype = "int8";
    s.overrides = "ffn_down=f32";
    round_trip(kStories, s, "gguf");
}

TEST(ExportGguf, GptqCalibratedRoundTripIsBitIdentical) {
    Settings s;
    s.overrides = kStoriesGguf;
    s.algorithm = "gptq";
    round_trip(kStories, s, "gguf");
}

// From an HF Llama: llama.cpp's metadata and tokenizer are written and q/k are permuted into
// llama.cpp's pair order, so the GGUF file rotates adjacent pairs where the HF one rotates halves.
// The same products are summed in another order: equal up to float rounding, and the same
// next token.
TEST(ExportGguf, FromHuggingFaceLlamaLoadsWithTheSameLogits) {
    const std::string dir = temp_dir();
    Settings s;
    ASSERT_EQ(quantize(kDebdoc, dir + "/model.llmrt", s, "llmrt"), LLMRT_OK) << llmrt_last_error();
    ASSERT_EQ(quantize(kDebdoc, dir + "/model.gguf", s, "gguf"), LLMRT_OK) << llmrt_last_error();
    auto m = test::load(dir + "/model.gguf");
    ASSERT_TRUE(m);
    EXPECT_STREQ(llmrt_model_architecture(m.get()), "llama");
    EXPECT_EQ(llmrt_model_n_vocab(m.get()), 4096);
    EXPECT_EQ(llmrt_model_bos(m.get()), 1);
    EXPECT_EQ(test::tokenize(m.get(), "The package manager"), test::tokenize(test::load(kDebdoc).get(), "The package manager"));
    // fp32 compute: the int8 one quantizes activations, where a last-bit difference can move a
    // rounding step.
    const std::vector<float> a = next_token_logits(dir + "/model.llmrt", "fp32"),
                             b = next_token_logits(dir + "/model.gguf", "fp32");
    ASSERT_EQ(a.size(), b.size());
    float worst = 0.0f;
    for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
    EXPECT_LT(worst, 1e-3f);
    EXPECT_EQ(test::argmax(a.data(), static_cast<int32_t>(a.size())), test::argmax(b.data(), static_cast<int32_t>(b.size())));
    remove_all(dir);
}

TEST(ExportGguf, TypesGgufCannotHoldAreUnsupportedAndNamed) {
    const std::string dir = temp_dir();
    Settings nf4;
    nf4.dtype = "nf4";
    EXPECT_EQ(quantize(kStories, dir + "/a.gguf", nf4, "gguf"), LLMRT_ERR_UNSUPPORTED);
    EXPECT_NE(std::string(llmrt_last_error()).find("nf4"), std::string::npos) << llmrt_last_error();
    Settings g64;
    g64.group = 64;
    EXPECT_EQ(quantize(kStories, dir + "/b.gguf", g64, "gguf"), LLMRT_ERR_UNSUPPORTED);
    EXPECT_NE(std::string(llmrt_last_error()).find("_g64_sym_fp16"), std::string::npos) << llmrt_last_error();
    Settings ragged;  // ffn_down's 172 inputs
    ragged.overrides = "";
    EXPECT_EQ(quantize(kStories, dir + "/c.gguf", ragged, "gguf"), LLMRT_ERR_UNSUPPORTED);
    EXPECT_NE(std::string(llmrt_last_error()).find("ffn_down"), std::string::npos) << llmrt_last_error();
    EXPECT_TRUE(dir_entries(dir).empty());  // no partial or temporary file left
    remove_all(dir);
}

// HF GPTQ: the llmrt loader reads the directory back into the same codes and scales.
struct GptqCase {
    const char *dtype;
    int32_t group;
    const char *scale;
};

class ExportHfGptq : public ::testing::TestWithParam<GptqCase> {};

TEST_P(ExportHfGptq, RoundTripIsBitIdentical) {
    Settings s;
    s.dtype = GetParam().dtype;
    s.group = GetParam().group;
    s.scale = GetParam().scale;
    s.overrides = "*embed_tokens.*=f32;lm_head.*=f32";  // the hf-gptq default, also for the llmrt file
    round_trip(kDebdoc, s, "hf-gptq");
}

INSTANTIATE_TEST_SUITE_P(Formats, ExportHfGptq,
                         ::testing::Values(GptqCase{"int4", 32, "fp16"}, GptqCase{"int4", 128, "fp16"},
                                           GptqCase{"int8", 32, "fp16"}, GptqCase{"int4", 128, "fp32"}));

TEST(ExportHfGptq, WritesTheGptqLayout) {
    const std::string dir = temp_dir(), out = dir + "/gptq";
    Settings s;
    s.group = 128;
    ASSERT_EQ(quantize(kDebdoc, out, s, "hf-gptq"), LLMRT_OK) << llmrt_last_error();
    const nlohmann::json config = test::read_json(out + "/config.json");
    const nlohmann::json &q = config.at("quantization_config");
    EXPECT_EQ(q.at("quant_method"), "gptq");
    EXPECT_EQ(q.at("bits"), 4);
    EXPECT_EQ(q.at("group_size"), 128);
    EXPECT_EQ(q.at("desc_act"), false);
    EXPECT_EQ(q.at("sym"), true);
    EXPECT_EQ(q.at("checkpoint_format"), "gptq");
    EXPECT_TRUE(exists(out + "/tokenizer.model"));
    // The safetensors header names the four parts of a quantized Linear and keeps the norms f32.
    std::ifstream st(out + "/model.safetensors", std::ios::binary);
    uint64_t n = 0;
    st.read(reinterpret_cast<char *>(&n), 8);
    std::string header(n, '\0');
    st.read(&header[0], static_cast<std::streamsize>(n));
    const nlohmann::json h = nlohmann::json::parse(header);
    const std::string p = "model.layers.0.self_attn.q_proj.";
    EXPECT_EQ(h.at(p + "qweight").at("dtype"), "I32");
    EXPECT_EQ(h.at(p + "qweight").at("shape"), nlohmann::json({256 / 8, 256}));
    EXPECT_EQ(h.at(p + "qzeros").at("shape"), nlohmann::json({2, 256 / 8}));
    EXPECT_EQ(h.at(p + "scales").at("dtype"), "F16");
    EXPECT_EQ(h.at(p + "scales").at("shape"), nlohmann::json({2, 256}));
    EXPECT_EQ(h.at(p + "g_idx").at("shape"), nlohmann::json({256}));
    EXPECT_EQ(h.at("model.norm.weight").at("dtype"), "F32");
    EXPECT_EQ(h.count(p + "weight"), 0u);
    remove_all(dir);
}

TEST(ExportHfGptq, WhatTheFormatCannotHoldIsUnsupported) {
    const std::string dir = temp_dir();
    // Min-max asym minimums are not -scale * integer zero point, which GPTQ stores.
    Settings asym;
    asym.asym = 1;
    EXPECT_EQ(quantize(kDebdoc, dir + "/a", asym, "hf-gptq"), LLMRT_ERR_UNSUPPORTED);
    EXPECT_NE(std::string(llmrt_last_error()).find("zero point"), std::string::npos) << llmrt_last_error();
    Settings nf4;
    nf4.dtype = "nf4";
    EXPECT_EQ(quantize(kDebdoc, dir + "/b", nf4, "hf-gptq"), LLMRT_ERR_UNSUPPORTED);
    // A GGUF source has no HF config or names to export under.
    EXPECT_EQ(quantize(kStories, dir + "/c", Settings{}, "hf-gptq"), LLMRT_ERR_UNSUPPORTED);
    EXPECT_TRUE(dir_entries(dir).empty());
    remove_all(dir);
}

TEST(ExportHfGptq, NeverReplacesANonEmptyDirectory) {
    const std::string dir = temp_dir(), out = dir + "/out";
    ASSERT_EQ(::mkdir(out.c_str(), 0755), 0);
    std::ofstream(out + "/keep.txt") << "mine";
    EXPECT_EQ(quantize(kDebdoc, out, Settings{}, "hf-gptq"), LLMRT_ERR_IO);
    EXPECT_TRUE(exists(out + "/keep.txt"));
    EXPECT_EQ(dir_entries(dir).size(), 1u);  // no temporary directory left beside it
    remove_all(dir);
}

TEST(Export, UnknownOutputFormatIsInvalidArgument) {
    llmrt_quant_params p;
    llmrt_quant_params_init(&p);
    EXPECT_STREQ(p.output_format, "llmrt");
    p.output_format = "safetensors";
    llmrt_quantizer *q = nullptr;
    EXPECT_EQ(llmrt_quantizer_create(&p, &q), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(q, nullptr);
    EXPECT_NE(std::string(llmrt_last_error()).find("hf-gptq"), std::string::npos) << llmrt_last_error();
}

}  // namespace
