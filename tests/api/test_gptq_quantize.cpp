// GPTQ through the C API on real checkpoints: calibrated on the calibration text, measured on
// other text. At the same weight type (so the same file size), the GPTQ model's next-token
// distributions must be closer to the f32 model's than round to nearest's (mean KL divergence),
// and a bad calibration setting is a clear status.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "test_support.h"

namespace {

const std::string kModel = test::shared_path("models/stories260K-hf");
const std::string kCalib = test::shared_path("data/calibration/tinyshakespeare.txt");
const std::string kEval = test::shared_path("data/wikitext-2-raw/wiki.test.raw");

std::string temp_path(const std::string &name) { return ::testing::TempDir() + "/gptq_" + name; }

llmrt_status quantize(const std::string &out, const char *algorithm, const char *calib, int32_t samples = 32) {
    llmrt_quant_params p;
    llmrt_quant_params_init(&p);
    p.weight_dtype = "int4";
    p.group_size = 32;
    p.tensor_overrides = "";  // every matrix int4, so the comparison covers all of them
    p.algorithm = algorithm;
    p.calibration_path = calib;
    p.n_samples = samples;
    p.seq_len = 128;
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

TEST(GptqQuantize, CloserToF32ThanRoundToNearestAtTheSameSize) {
    const std::string rtn = temp_path("rtn.llmrt"), gptq = temp_path("gptq.llmrt");
    ASSERT_EQ(quantize(rtn, "rtn", nullptr), LLMRT_OK) << llmrt_last_error();
    ASSERT_EQ(quantize(gptq, "gptq", kCalib.c_str()), LLMRT_OK) << llmrt_last_error();
    {
        auto a = test::load(rtn), b = test::load(gptq);
        EXPECT_EQ(llmrt_model_weight_bytes(a.get()), llmrt_model_weight_bytes(b.get()));
        EXPECT_STREQ(llmrt_model_weight_type(a.get()), llmrt_model_weight_type(b.get()));
    }
    const auto f32 = log_probs(kModel, 256);
    const double k_rtn = mean_kld(f32, log_probs(rtn, 256)), k_gptq = mean_kld(f32, log_probs(gptq, 256));
    std::printf("mean KLD vs f32 over 256 tokens: rtn %.5f, gptq %.5f\n", k_rtn, k_gptq);
    EXPECT_GT(k_gptq, 0.0);
    EXPECT_LT(k_gptq, k_rtn);
    std::remove(rtn.c_str());
    std::remove(gptq.c_str());
}

TEST(GptqQuantize, BadCalibrationSettingsAreClearStatuses) {
    const std::string out = temp_path("bad.llmrt");
    EXPECT_EQ(quantize(out, "gptq", nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find("calibration"), std::string::npos) << llmrt_last_error();
    EXPECT_EQ(quantize(out, "gptq", "/nonexistent/calib.txt"), LLMRT_ERR_IO);
    EXPECT_EQ(quantize(out, "gptq", kCalib.c_str(), 0), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(quantize(out, "awq-typo", kCalib.c_str()), LLMRT_ERR_UNSUPPORTED);
    std::ifstream none(out);
    EXPECT_FALSE(none.good()) << "a failed quantization must not leave a file";
}

// Calibration reports each sample it runs a block over, and stopping there cancels at once:
// no output file, LLMRT_CANCELLED.
TEST(GptqQuantize, ProgressReportsSamplesAndCancelStops) {
    struct Seen {
        int sample_reports = 0;
        std::string first;
    } seen;
    llmrt_quant_params p;
    llmrt_quant_params_init(&p);
    p.algorithm = "gptq";
    p.calibration_path = kCalib.c_str();
    p.n_samples = 4;
    p.seq_len = 32;
    p.progress = [](float, const char *what, void *user) -> int32_t {
        auto *s = static_cast<Seen *>(user);
        if (std::string(what).find(", sample ") == std::string::npos) return 0;
        if (s->sample_reports++ == 0) s->first = what;
        return s->sample_reports == 3 ? 1 : 0;  // stop at the third sample
    };
    p.progress_user_data = &seen;
    llmrt_quantizer *q = nullptr;
    ASSERT_EQ(llmrt_quantizer_create(&p, &q), LLMRT_OK) << llmrt_last_error();
    const std::string out = temp_path("cancelled.llmrt");
    std::remove(out.c_str());
    EXPECT_EQ(llmrt_quantize(q, kModel.c_str(), out.c_str()), LLMRT_CANCELLED);
    llmrt_quantizer_free(q);
    EXPECT_EQ(seen.sample_reports, 3);
    EXPECT_EQ(seen.first, "block 0, attention input, sample 1/4");
    std::ifstream absent(out);
    EXPECT_FALSE(absent.good());
}

}  // namespace
