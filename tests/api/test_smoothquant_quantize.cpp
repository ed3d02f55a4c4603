// SmoothQuant W8A8 through the C API on a real checkpoint, calibrated on the calibration text and
// measured on other text: with per-token (dynamic) and static activation scales, the W8A8 model's
// next-token distributions must be closer to the f32 model's than 4-bit round to nearest's (mean
// KL divergence), and bad SmoothQuant settings are clear statuses naming the field.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "test_support.h"

namespace {

const std::string kModel = test::shared_path("models/stories260K-hf");

// The first 16 KB of the calibration text: tokenizing all of it (1.1 MB) would take most of these
// tests' time, and 4 samples of 64 tokens need far less.
const std::string &calibration_text() {
    static const std::string path = [] {
        std::ifstream in(test::shared_path("data/calibration/tinyshakespeare.txt"), std::ios::binary);
        std::string text(16384, '\0');
        in.read(&text[0], static_cast<std::streamsize>(text.size()));
        text.resize(static_cast<size_t>(in.gcount()));
        const std::string out = ::testing::TempDir() + "/smoothquant_api_calib.txt";
        std::ofstream(out, std::ios::binary) << text;
        return out;
    }();
    return path;
}
const std::string kEval = test::shared_path("data/wikitext-2-raw/wiki.test.raw");

std::string temp_path(const std::string &name) { return ::testing::TempDir() + "/smoothquant_" + name; }

llmrt_quant_params smoothquant_params() {
    llmrt_quant_params p;
    llmrt_quant_params_init(&p);
    p.weight_dtype = "int8";
    p.group_size = -1;
    p.algorithm = "smoothquant";
    p.calibration_path = calibration_text().c_str();
    p.n_samples = 4;
    p.seq_len = 64;
    return p;
}

llmrt_status quantize(const llmrt_quant_params &p, const std::string &out) {
    llmrt_quantizer *q = nullptr;
    llmrt_status st = llmrt_quantizer_create(&p, &q);
    if (st == LLMRT_OK) st = llmrt_quantize(q, kModel.c_str(), out.c_str());
    llmrt_quantizer_free(q);
    return st;
}

// Next-token log-probabilities after each of the first n tokens of the evaluation text.
std::vector<std::vector<double>> log_probs(const std::string &path, int32_t n) {
    auto model = test::load(path);
    std::ifstream in(kEval);
    std::stringstream text;
    text << in.rdbuf();
    std::vector<int32_t> ids = test::tokenize(model.get(), text.str().substr(0, 20000));
    ids.resize(static_cast<size_t>(n));
    auto ctx = test::context(model.get(), n, 2, 1);
    EXPECT_EQ(llmrt_decode(ctx.get(), ids.data(), n), LLMRT_OK) << llmrt_last_error();
    const int32_t vocab = llmrt_model_n_vocab(model.get());
    std::vector<std::vector<double>> out;
    for (int32_t i = 0; i < n; ++i) {
        const float *l = llmrt_get_logits_ith(ctx.get(), i);
        double mx = l[0], sum = 0.0;
        for (int32_t v = 0; v < vocab; ++v) mx = std::max(mx, static_cast<double>(l[v]));
        for (int32_t v = 0; v < vocab; ++v) sum += std::exp(l[v] - mx);
        std::vector<double> lp(static_cast<size_t>(vocab));
        for (int32_t v = 0; v < vocab; ++v) lp[static_cast<size_t>(v)] = l[v] - mx - std::log(sum);
        out.push_back(std::move(lp));
    }
    return out;
}

double mean_kld(const std::vector<std::vector<double>> &p, const std::vector<std::vector<double>> &q) {
    double total = 0.0;
    for (size_t i = 0; i < p.size(); ++i)
        for (size_t v = 0; v < p[i].size(); ++v) total += std::exp(p[i][v]) * (p[i][v] - q[i][v]);
    return total / static_cast<double>(p.size());
}

TEST(SmoothQuantQuantize, W8A8IsCloserToF32ThanFourBitRoundToNearest) {
    const auto f32 = log_probs(kModel, 64);
    llmrt_quant_params rtn_params;
    llmrt_quant_params_init(&rtn_params);  // int4 g32, round to nearest
    const std::string rtn = temp_path("rtn4.llmrt");
    ASSERT_EQ(quantize(rtn_params, rtn), LLMRT_OK) << llmrt_last_error();
    const double k_rtn = mean_kld(f32, log_probs(rtn, 64));
    for (const char *acts : {"dynamic", "static"}) {
        SCOPED_TRACE(acts);
        llmrt_quant_params p = smoothquant_params();
        p.sq_activations = acts;
        const std::string out = temp_path(std::string(acts) + ".llmrt");
        ASSERT_EQ(quantize(p, out), LLMRT_OK) << llmrt_last_error();
        {
            auto m = test::load(out);
            EXPECT_STREQ(llmrt_model_weight_type(m.get()), "int8_grow_sym_fp32");
        }
        const double k = mean_kld(f32, log_probs(out, 64));
        std::printf("%s: mean KLD vs f32 over 64 tokens: W8A8 %.5f, int4 g32 rtn %.5f\n", acts, k, k_rtn);
        EXPECT_GT(k, 0.0);
        EXPECT_LT(k, k_rtn);
        std::remove(out.c_str());
    }
    std::remove(rtn.c_str());
}

TEST(SmoothQuantQuantize, BadSettingsAreClearStatuses) {
    const std::string out = temp_path("bad.llmrt");
    auto refused = [&](llmrt_quant_params p, const char *field) {
        EXPECT_EQ(quantize(p, out), LLMRT_ERR_INVALID_ARGUMENT) << field;
        EXPECT_NE(std::string(llmrt_last_error()).find(field), std::string::npos) << llmrt_last_error();
    };
    llmrt_quant_params p = smoothquant_params();
    p.sq_activations = "sometimes";
    refused(p, "sq_activations");
    p = smoothquant_params();
    p.sq_criterion = "median";
    refused(p, "sq_criterion");
    p = smoothquant_params();
    p.sq_alpha = 1.5f;
    refused(p, "sq_alpha");
    p = smoothquant_params();
    p.sq_alpha_auto = 1;
    p.sq_alpha_min = 0.9f;
    p.sq_alpha_max = 0.5f;
    refused(p, "sq_alpha");
    p = smoothquant_params();
    p.weight_dtype = "int4";
    refused(p, "int8");
    std::ifstream none(out);
    EXPECT_FALSE(none.good()) << "a failed quantization must not leave a file";
}

}  // namespace
