// Helpers shared by the C API tests: paths, JSON references and RAII owners for handles.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llmrt.hpp"

namespace test {

inline std::string shared_path(const std::string &rel) { return std::string(LLMRT_SHARED_DIR) + "/" + rel; }
inline std::string source_path(const std::string &rel) { return std::string(LLMRT_SOURCE_DIR) + "/" + rel; }

inline nlohmann::json read_json(const std::string &path) {
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << path;
    return nlohmann::json::parse(in);
}

// llmrt.hpp's owners, under the names the tests use.
using ModelPtr = llmrt::model_ptr;
using ContextPtr = llmrt::context_ptr;
using SamplerPtr = llmrt::sampler_ptr;

inline ModelPtr load(const std::string &path) {
    llmrt_model *m = nullptr;
    llmrt_status st = llmrt_model_load(path.c_str(), nullptr, &m);
    EXPECT_EQ(st, LLMRT_OK) << path << ": " << llmrt_last_error();
    return ModelPtr(m);
}

inline ContextPtr context(llmrt_model *m, int32_t n_ctx = 0, int32_t n_threads = 2, int32_t logits_all = 0,
                          int32_t kv_type = LLMRT_KV_F32) {
    llmrt_context_params p;
    llmrt_context_params_init(&p);
    p.kv_type = kv_type;
    p.n_ctx = n_ctx;
    p.n_threads = n_threads;
    p.logits_all = logits_all;
    llmrt_context *c = nullptr;
    EXPECT_EQ(llmrt_context_create(m, &p, &c), LLMRT_OK) << llmrt_last_error();
    return ContextPtr(c);
}

inline SamplerPtr greedy_sampler() {
    llmrt_sampler_params p;
    llmrt_sampler_params_init(&p);
    p.temperature = 0.0f;
    llmrt_sampler *s = nullptr;
    EXPECT_EQ(llmrt_sampler_create(&p, &s), LLMRT_OK) << llmrt_last_error();
    return SamplerPtr(s);
}

inline int32_t argmax(const float *logits, int32_t n) {
    int32_t best = 0;
    for (int32_t i = 1; i < n; ++i)
        if (logits[i] > logits[best]) best = i;
    return best;
}

inline std::vector<int32_t> tokenize(llmrt_model *m, const std::string &text, bool add_special = true) {
    int32_t n = 0;
    llmrt_tokenize(m, text.c_str(), add_special ? 1 : 0, nullptr, 0, &n);
    std::vector<int32_t> ids(static_cast<size_t>(n));
    EXPECT_EQ(llmrt_tokenize(m, text.c_str(), add_special ? 1 : 0, ids.data(), n, &n), LLMRT_OK) << llmrt_last_error();
    return ids;
}

// Greedy decoding one token per step through llmrt_decode, as the references were made.
inline std::vector<int32_t> greedy_ids(llmrt_context *ctx, llmrt_model *m, std::vector<int32_t> prompt, int n,
                                       std::vector<std::vector<float>> *step_logits = nullptr) {
    std::vector<int32_t> out;
    const int32_t n_vocab = llmrt_model_n_vocab(m);
    EXPECT_EQ(llmrt_decode(ctx, prompt.data(), static_cast<int32_t>(prompt.size())), LLMRT_OK) << llmrt_last_error();
    for (int i = 0; i < n; ++i) {
        const float *logits = llmrt_get_logits(ctx);
        if (step_logits) step_logits->emplace_back(logits, logits + n_vocab);
        int32_t t = argmax(logits, n_vocab);
        out.push_back(t);
        if (i + 1 < n) {
            EXPECT_EQ(llmrt_decode(ctx, &t, 1), LLMRT_OK) << llmrt_last_error();
        }
    }
    return out;
}

}  // namespace test
