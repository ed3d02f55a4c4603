// Quantization through the C API: files written atomically, reloaded bit-identically, progress
// and cancellation, parameter validation.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "test_support.h"

namespace {

const std::string kGguf = test::source_path("models/stories260K/stories260K.gguf");
const std::string kHf = test::shared_path("models/stories260K-hf");

std::string temp_dir() {
    char tmpl[] = "/tmp/llmrt-quant-XXXXXX";
    const char *dir = mkdtemp(tmpl);
    EXPECT_NE(dir, nullptr);
    return dir ? dir : "/tmp";
}

bool exists(const std::string &path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::vector<std::string> dir_entries(const std::string &dir) {
    std::vector<std::string> names;
    const std::string cmd = "ls -A " + dir;
    FILE *p = popen(cmd.c_str(), "r");
    char line[512];
    while (p && fgets(line, sizeof line, p)) names.emplace_back(line);
    if (p) pclose(p);
    return names;
}

llmrt_quant_params params(const char *dtype, int32_t group = 32, int32_t asym = 0) {
    llmrt_quant_params p;
    llmrt_quant_params_init(&p);
    p.weight_dtype = dtype;
    p.group_size = group;
    p.asym = asym;
    return p;
}

std::vector<float> logits_after(llmrt_model *m, const std::vector<int32_t> &ids) {
    auto ctx = test::context(m);
    EXPECT_EQ(llmrt_decode(ctx.get(), ids.data(), static_cast<int32_t>(ids.size())), LLMRT_OK) << llmrt_last_error();
    const float *l = llmrt_get_logits(ctx.get());
    return std::vector<float>(l, l + llmrt_model_n_vocab(m));
}

struct Case {
    const char *dtype;
    int32_t group;
    int32_t asym;
    const char *scale;
    const char *compute;
};

void PrintTo(const Case &c, std::ostream *os) {
    *os << c.dtype << " g" << c.group << (c.asym ? " asym " : " sym ") << c.scale << " " << c.compute;
}

class QuantizedFile : public ::testing::TestWithParam<Case> {};

// A saved and reloaded quantized model computes exactly what the in-memory one does.
TEST_P(QuantizedFile, ReloadedFileGivesBitIdenticalLogits) {
    const Case c = GetParam();
    llmrt_quant_params qp = params(c.dtype, c.group, c.asym);
    qp.scale_dtype = c.scale;
    qp.compute_dtype = c.compute;
    const std::string dir = temp_dir();
    const std::string out = dir + "/model.llmrt";
    llmrt_quantizer *q = nullptr;
    ASSERT_EQ(llmrt_quantizer_create(&qp, &q), LLMRT_OK) << llmrt_last_error();
    ASSERT_EQ(llmrt_quantize(q, kHf.c_str(), out.c_str()), LLMRT_OK) << llmrt_last_error();
    llmrt_quantizer_free(q);
    EXPECT_EQ(dir_entries(dir).size(), 1u) << "no temporary file may remain";

    llmrt_model_params mp;
    llmrt_model_params_init(&mp);
    mp.quantize = &qp;
    llmrt_model *in_memory = nullptr;
    ASSERT_EQ(llmrt_model_load(kHf.c_str(), &mp, &in_memory), LLMRT_OK) << llmrt_last_error();
    test::ModelPtr mem(in_memory);
    llmrt_model_params_init(&mp);
    mp.compute_dtype = c.compute;
    llmrt_model *from_file = nullptr;
    ASSERT_EQ(llmrt_model_load(out.c_str(), &mp, &from_file), LLMRT_OK) << llmrt_last_error();
    test::ModelPtr file(from_file);

    EXPECT_STREQ(llmrt_model_weight_type(file.get()), llmrt_model_weight_type(mem.get()));
    EXPECT_EQ(llmrt_model_weight_bytes(file.get()), llmrt_model_weight_bytes(mem.get()));
    EXPECT_EQ(test::tokenize(file.get(), "Once upon a time"), test::tokenize(mem.get(), "Once upon a time"));
    const std::vector<int32_t> ids = {1, 403, 407, 261, 378, 432, 383};
    EXPECT_EQ(logits_after(file.get(), ids), logits_after(mem.get(), ids));
    std::remove(out.c_str());
    rmdir(dir.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Types, QuantizedFile,
    ::testing::Values(Case{"int8", 32, 0, "fp32", "auto"}, Case{"int4", 32, 0, "fp32", "auto"},
                      Case{"int4", 64, 1, "bf16", "int8"}, Case{"int4", -1, 0, "fp32", "fp32"},
                      Case{"int8", 128, 1, "fp32", "bf16"}, Case{"nf4", 64, 0, "fp32", "auto"},
                      Case{"fp4", 32, 0, "bf16", "fp32"}, Case{"fp8_e4m3", 32, 0, "fp32", "auto"},
                      Case{"fp8_e5m2", 128, 0, "fp32", "bf16"}),
    [](const auto &info) {
        std::string n = std::string(info.param.dtype) + "_g" + std::to_string(info.param.group < 0 ? 0 : info.param.group) +
                        (info.param.asym ? "_asym_" : "_sym_") + info.param.scale + "_" + info.param.compute;
        return n;
    });

TEST(Quantize, WeightDtypeListIsWhatTheQuantizerAccepts) {
    const int32_t n = llmrt_weight_dtype_count();
    ASSERT_GE(n, 6);
    std::string all;
    for (int32_t i = 0; i < n; ++i) {
        const char *name = llmrt_weight_dtype_name(i);
        ASSERT_NE(name, nullptr);
        llmrt_quant_params qp = params(name);
        llmrt_quantizer *q = nullptr;
        EXPECT_EQ(llmrt_quantizer_create(&qp, &q), LLMRT_OK) << name << ": " << llmrt_last_error();
        llmrt_quantizer_free(q);
        all += (i ? ", " : "") + std::string(name);
    }
    EXPECT_EQ(llmrt_weight_dtype_name(-1), nullptr);
    EXPECT_EQ(llmrt_weight_dtype_name(n), nullptr);
    // The error for an unknown name lists exactly these.
    llmrt_quant_params bad = params("int3");
    llmrt_quantizer *q = nullptr;
    EXPECT_EQ(llmrt_quantizer_create(&bad, &q), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find("(" + all + ")"), std::string::npos) << llmrt_last_error();
}

TEST(Quantize, GgufInputAndWeightTypeIntrospection) {
    llmrt_quant_params qp = params("int4");
    const std::string dir = temp_dir();
    const std::string out = dir + "/m.llmrt";
    llmrt_quantizer *q = nullptr;
    ASSERT_EQ(llmrt_quantizer_create(&qp, &q), LLMRT_OK);
    ASSERT_EQ(llmrt_quantize(q, kGguf.c_str(), out.c_str()), LLMRT_OK) << llmrt_last_error();
    llmrt_quantizer_free(q);
    auto m = test::load(out);
    ASSERT_TRUE(m);
    EXPECT_STREQ(llmrt_model_weight_type(m.get()), "int4_g32_sym_fp32");
    EXPECT_STREQ(llmrt_model_architecture(m.get()), "llama");
    // The tokenizer travels inside the file.
    EXPECT_EQ(test::tokenize(m.get(), "Once upon a time"), (std::vector<int32_t>{1, 403, 407, 261, 378}));
    std::remove(out.c_str());
    rmdir(dir.c_str());
}

struct Progress {
    std::vector<float> fractions;
    int cancel_at = -1;
};

int32_t on_progress(float fraction, const char *tensor, void *user_data) {
    auto *p = static_cast<Progress *>(user_data);
    EXPECT_NE(tensor, nullptr);
    p->fractions.push_back(fraction);
    return p->cancel_at >= 0 && static_cast<int>(p->fractions.size()) >= p->cancel_at ? 1 : 0;
}

TEST(Quantize, ProgressIsMonotonicAndReachesOne) {
    Progress progress;
    llmrt_quant_params qp = params("int8");
    qp.progress = on_progress;
    qp.progress_user_data = &progress;
    const std::string dir = temp_dir();
    const std::string out = dir + "/m.llmrt";
    llmrt_quantizer *q = nullptr;
    ASSERT_EQ(llmrt_quantizer_create(&qp, &q), LLMRT_OK);
    ASSERT_EQ(llmrt_quantize(q, kHf.c_str(), out.c_str()), LLMRT_OK) << llmrt_last_error();
    llmrt_quantizer_free(q);
    ASSERT_GT(progress.fractions.size(), 10u);
    for (size_t i = 1; i < progress.fractions.size(); ++i) EXPECT_GE(progress.fractions[i], progress.fractions[i - 1]);
    EXPECT_FLOAT_EQ(progress.fractions.back(), 1.0f);
    std::remove(out.c_str());
    rmdir(dir.c_str());
}

TEST(Quantize, CancelLeavesExistingOutputUntouched) {
    const std::string dir = temp_dir();
    const std::string out = dir + "/m.llmrt";
    std::ofstream(out) << "previous contents";
    Progress progress;
    progress.cancel_at = 5;
    llmrt_quant_params qp = params("int8");
    qp.progress = on_progress;
    qp.progress_user_data = &progress;
    llmrt_quantizer *q = nullptr;
    ASSERT_EQ(llmrt_quantizer_create(&qp, &q), LLMRT_OK);
    EXPECT_EQ(llmrt_quantize(q, kHf.c_str(), out.c_str()), LLMRT_CANCELLED);
    llmrt_quantizer_free(q);
    std::ifstream in(out);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(content, "previous contents");
    EXPECT_EQ(dir_entries(dir).size(), 1u);
    std::remove(out.c_str());
    rmdir(dir.c_str());
}

TEST(Quantize, CorruptInputFailsWithoutOutput) {
    const std::string dir = temp_dir();
    const std::string in = dir + "/bad.gguf";
    const std::string out = dir + "/out.llmrt";
    std::ofstream(in, std::ios::binary) << "GGUF\x03\x00\x00\x00garbage";
    llmrt_quant_params qp = params("int4");
    llmrt_quantizer *q = nullptr;
    ASSERT_EQ(llmrt_quantizer_create(&qp, &q), LLMRT_OK);
    EXPECT_EQ(llmrt_quantize(q, in.c_str(), out.c_str()), LLMRT_ERR_FORMAT);
    EXPECT_NE(std::string(llmrt_last_error()).find("bad.gguf"), std::string::npos) << llmrt_last_error();
    EXPECT_FALSE(exists(out));
    llmrt_quantizer_free(q);
    std::remove(in.c_str());
    rmdir(dir.c_str());
}

TEST(Quantize, InvalidParamsAreRejectedUpFront) {
    llmrt_quantizer *q = nullptr;
    llmrt_quant_params qp = params("int3");
    EXPECT_EQ(llmrt_quantizer_create(&qp, &q), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find("int3"), std::string::npos);
    qp = params("int4", 33);
    EXPECT_EQ(llmrt_quantizer_create(&qp, &q), LLMRT_ERR_INVALID_ARGUMENT);
    qp = params("nf4", 32, 1);
    EXPECT_EQ(llmrt_quantizer_create(&qp, &q), LLMRT_ERR_INVALID_ARGUMENT);
    qp = params("int4");
    qp.scale_dtype = "fp64";
    EXPECT_EQ(llmrt_quantizer_create(&qp, &q), LLMRT_ERR_INVALID_ARGUMENT);
    qp = params("int4");
    qp.tensor_overrides = "no-equals-sign";
    EXPECT_EQ(llmrt_quantizer_create(&qp, &q), LLMRT_ERR_INVALID_ARGUMENT);
    qp = params("int4");
    qp.algorithm = "magic";
    EXPECT_EQ(llmrt_quantizer_create(&qp, &q), LLMRT_ERR_UNSUPPORTED);
    EXPECT_EQ(q, nullptr);
}

TEST(Quantize, OverridesKeepChosenTensorsInF32) {
    llmrt_quant_params qp = params("int4");
    qp.tensor_overrides = "*=f32";
    llmrt_model_params mp;
    llmrt_model_params_init(&mp);
    mp.quantize = &qp;
    llmrt_model *m = nullptr;
    ASSERT_EQ(llmrt_model_load(kGguf.c_str(), &mp, &m), LLMRT_OK) << llmrt_last_error();
    test::ModelPtr owner(m);
    EXPECT_STREQ(llmrt_model_weight_type(m), "f32");
}

// "type:n_tensors" of the model as loaded, in the library's order.
std::string loaded_types(const llmrt_quant_params &qp) {
    llmrt_model_params mp;
    llmrt_model_params_init(&mp);
    mp.quantize = &qp;
    llmrt_model *m = nullptr;
    EXPECT_EQ(llmrt_model_load(kGguf.c_str(), &mp, &m), LLMRT_OK) << llmrt_last_error();
    test::ModelPtr owner(m);
    std::string out;
    for (int32_t i = 0; m && i < llmrt_model_n_tensor_types(m, 1); ++i) {
        llmrt_tensor_type_stats s;
        EXPECT_EQ(llmrt_model_tensor_type(m, 1, i, &s), LLMRT_OK);
        out += std::string(s.type) + ":" + std::to_string(s.n_tensors) + " ";
    }
    return out;
}

TEST(Quantize, OverrideArrayIsTheStringForm) {
    llmrt_quant_params text = params("int4");
    text.tensor_overrides = "token_embd=f32;attn_q=int8_g64_asym_fp16;ffn_down=nf4";
    const llmrt_tensor_override list[] = {{"token_embd", "f32"}, {"attn_q", "int8_g64_asym_fp16"}, {"ffn_down", "nf4"}};
    llmrt_quant_params array = params("int4");
    array.overrides = list;
    array.n_overrides = 3;
    const std::string expected = loaded_types(text);
    EXPECT_NE(expected.find("int8_g64_asym_fp16:"), std::string::npos) << expected;
    EXPECT_NE(expected.find("nf4_g32_sym_fp32:"), std::string::npos) << expected;
    EXPECT_EQ(loaded_types(array), expected);
    // An empty array quantizes everything, as "" does.
    array.n_overrides = 0;
    text.tensor_overrides = "";
    EXPECT_EQ(loaded_types(array), loaded_types(text));

    llmrt_quantizer *q = nullptr;
    array.n_overrides = 3;
    text.tensor_overrides = "x=f32";
    llmrt_quant_params both = array;
    both.tensor_overrides = "x=f32";
    EXPECT_EQ(llmrt_quantizer_create(&both, &q), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find("not both"), std::string::npos) << llmrt_last_error();
    const llmrt_tensor_override bad[] = {{"attn_q", nullptr}};
    array.overrides = bad;
    array.n_overrides = 1;
    EXPECT_EQ(llmrt_quantizer_create(&array, &q), LLMRT_ERR_INVALID_ARGUMENT);
    array.overrides = nullptr;
    EXPECT_EQ(llmrt_quantizer_create(&array, &q), LLMRT_ERR_INVALID_ARGUMENT);  // a count without entries
    EXPECT_EQ(q, nullptr);
}

TEST(Quantize, AlreadyQuantizedInputIsRefused) {
    llmrt_quant_params qp = params("int8");
    const std::string dir = temp_dir();
    const std::string a = dir + "/a.llmrt", b = dir + "/b.llmrt";
    llmrt_quantizer *q = nullptr;
    ASSERT_EQ(llmrt_quantizer_create(&qp, &q), LLMRT_OK);
    ASSERT_EQ(llmrt_quantize(q, kGguf.c_str(), a.c_str()), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(llmrt_quantize(q, a.c_str(), b.c_str()), LLMRT_ERR_UNSUPPORTED);
    EXPECT_FALSE(exists(b));
    llmrt_quantizer_free(q);
    std::remove(a.c_str());
    rmdir(dir.c_str());
}

}  // namespace
