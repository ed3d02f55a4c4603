// The KV cache types against the f32 cache on a real model: the same tokens evaluated with each,
// the logits at every position compared. f16 is the yardstick (llama.cpp's default cache): bf16
// keeps 3 fewer mantissa bits (8x f16's rounding); q8 rounds to steps of max|x| / 127, about 24x
// f16's relative rounding for rows whose largest value is 3 standard deviations.
#include <cmath>
#include <cstdio>

#include "test_support.h"

namespace {

const std::string kModel = test::shared_path("models/debdoc-8M-hf");

// Logits of every position of the first 128 tokens of a Debian-documentation-like text.
std::vector<float> all_logits(llmrt_model *m, int32_t kv_type, const std::vector<int32_t> &ids) {
    auto ctx = test::context(m, 256, 2, 1, kv_type);
    EXPECT_EQ(llmrt_decode(ctx.get(), ids.data(), static_cast<int32_t>(ids.size())), LLMRT_OK) << llmrt_last_error();
    const int32_t vocab = llmrt_model_n_vocab(m);
    std::vector<float> out;
    for (int32_t i = 0; i < static_cast<int32_t>(ids.size()); ++i) {
        const float *l = llmrt_get_logits_ith(ctx.get(), i);
        out.insert(out.end(), l, l + vocab);
    }
    return out;
}

double mean_abs_diff(const std::vector<float> &a, const std::vector<float> &b) {
    double s = 0.0;
    for (size_t i = 0; i < a.size(); ++i) s += std::fabs(static_cast<double>(a[i]) - b[i]);
    return s / static_cast<double>(a.size());
}

TEST(KvTypes, EachStaysCloseToTheF32Cache) {
    auto model = test::load(kModel);
    ASSERT_TRUE(model);
    const auto ids = test::tokenize(model.get(),
                                    "The package manager installs, upgrades and removes software. To configure the "
                                    "network interfaces, edit the file /etc/network/interfaces and restart the service. "
                                    "The kernel modules are loaded at boot time from the list in /etc/modules, and "
                                    "the system logs are written by the journal daemon to /var/log.");
    ASSERT_GT(ids.size(), 48u);
    const std::vector<float> f32 = all_logits(model.get(), LLMRT_KV_F32, ids);
    const double d16 = mean_abs_diff(f32, all_logits(model.get(), LLMRT_KV_F16, ids));
    const double dbf16 = mean_abs_diff(f32, all_logits(model.get(), LLMRT_KV_BF16, ids));
    const double dq8 = mean_abs_diff(f32, all_logits(model.get(), LLMRT_KV_INT8, ids));
    std::printf("mean |logit - f32 cache's|: f16 %.3g, bf16 %.3g, q8 %.3g\n", d16, dbf16, dq8);
    EXPECT_GT(d16, 0.0);
    // 3 fewer mantissa bits: 8x f16's rounding, with room for how it propagates.
    EXPECT_GT(dbf16, d16);
    EXPECT_LT(dbf16, 16.0 * d16);
    EXPECT_GT(dq8, 0.0);
    EXPECT_LT(dq8, 32.0 * d16);
}

TEST(KvTypes, UnknownTypeIsRefused) {
    auto model = test::load(kModel);
    llmrt_context_params p;
    llmrt_context_params_init(&p);
    p.kv_type = 7;
    llmrt_context *c = nullptr;
    EXPECT_EQ(llmrt_context_create(model.get(), &p, &c), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(c, nullptr);
    EXPECT_NE(std::string(llmrt_last_error()).find("kv_type 7"), std::string::npos) << llmrt_last_error();
}

TEST(KvTypes, NamesCountUpFromZero) {
    EXPECT_STREQ(llmrt_kv_type_name(LLMRT_KV_F32), "f32");
    EXPECT_STREQ(llmrt_kv_type_name(LLMRT_KV_F16), "f16");
    EXPECT_STREQ(llmrt_kv_type_name(LLMRT_KV_BF16), "bf16");
    EXPECT_STREQ(llmrt_kv_type_name(LLMRT_KV_INT8), "int8");
    EXPECT_EQ(LLMRT_KV_Q8, LLMRT_KV_INT8);  // the older name stays
    EXPECT_EQ(llmrt_kv_type_name(LLMRT_KV_INT8 + 1), nullptr);
    EXPECT_EQ(llmrt_kv_type_name(-1), nullptr);
}

}  // namespace
