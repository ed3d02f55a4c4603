// Several sequences in one context (llmrt_decode_multi, llmrt_seq_*): sequences decoded together
// give the logits each gives decoded alone in a fresh context, on stories260K and on synthetic
// families that cover each position scheme (RoPE with GQA, ALiBi, learned positions, a sliding
// window) and a mixture of experts; copy, remove and truncate; bad input.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "test_support.h"

namespace {

namespace fs = std::filesystem;

test::ContextPtr multi_context(llmrt_model *m, int32_t n_seq_max, int32_t n_ctx = 128, int32_t n_batch = 512,
                               int32_t kv_type = LLMRT_KV_F32) {
    llmrt_context_params p;
    llmrt_context_params_init(&p);
    p.kv_type = kv_type;
    p.n_ctx = n_ctx;
    p.n_batch = n_batch;
    p.n_threads = 2;
    p.n_seq_max = n_seq_max;
    llmrt_context *c = nullptr;
    EXPECT_EQ(llmrt_context_create(m, &p, &c), LLMRT_OK) << llmrt_last_error();
    return test::ContextPtr(c);
}

double max_abs_diff(const float *a, const std::vector<float> &b) {
    double d = 0.0;
    for (size_t i = 0; i < b.size(); ++i) d = std::max(d, std::fabs(static_cast<double>(a[i]) - b[i]));
    return d;
}

// One sequence decoded alone in a fresh context: the prompt, then each of `then` one at a time.
// Returns the logits after every token (prompt positions included).
std::vector<std::vector<float>> alone(llmrt_model *m, const std::vector<int32_t> &prompt,
                                      const std::vector<int32_t> &then, int32_t kv_type = LLMRT_KV_F32) {
    auto ctx = test::context(m, 128, 2, 1, kv_type);
    const int32_t n_vocab = llmrt_model_n_vocab(m);
    std::vector<std::vector<float>> out;
    EXPECT_EQ(llmrt_decode(ctx.get(), prompt.data(), static_cast<int32_t>(prompt.size())), LLMRT_OK) << llmrt_last_error();
    for (int32_t i = 0; i < static_cast<int32_t>(prompt.size()); ++i) {
        const float *row = llmrt_get_logits_ith(ctx.get(), i);
        out.emplace_back(row, row + n_vocab);
    }
    for (int32_t t : then) {
        EXPECT_EQ(llmrt_decode(ctx.get(), &t, 1), LLMRT_OK) << llmrt_last_error();
        const float *row = llmrt_get_logits(ctx.get());
        out.emplace_back(row, row + n_vocab);
    }
    return out;
}

// Prompts of different lengths from the vocabulary's ordinary range, one per sequence.
std::vector<std::vector<int32_t>> prompts(llmrt_model *m, int n_seq) {
    const int32_t n_vocab = llmrt_model_n_vocab(m);
    std::vector<std::vector<int32_t>> out;
    for (int s = 0; s < n_seq; ++s) {
        std::vector<int32_t> p;
        for (int i = 0; i < 5 + 3 * s; ++i) p.push_back((3 + 37 * s + 11 * i * (s + 1)) % (n_vocab - 3) + 3);
        out.push_back(p);
    }
    return out;
}

// N sequences: every prompt token in one call, interleaved, then four steps of one token per
// sequence; every token's logits against the same sequence decoded alone.
void expect_together_equals_alone(llmrt_model *m) {
    const int n_seq = 3, steps = 4;
    const auto ps = prompts(m, n_seq);
    const int32_t n_vocab = llmrt_model_n_vocab(m);
    std::vector<std::vector<int32_t>> next(n_seq);
    for (int s = 0; s < n_seq; ++s)
        for (int k = 0; k < steps; ++k) next[s].push_back((7 + 13 * s + 29 * k) % (n_vocab - 3) + 3);
    std::vector<std::vector<std::vector<float>>> expected;
    for (int s = 0; s < n_seq; ++s) expected.push_back(alone(m, ps[s], next[s]));

    auto ctx = multi_context(m, n_seq);
    ASSERT_TRUE(ctx);
    std::vector<int32_t> tokens, seqs;
    std::vector<size_t> index;  // position of each token within its sequence
    for (size_t i = 0; i < ps.back().size(); ++i)
        for (int s = 0; s < n_seq; ++s)
            if (i < ps[s].size()) {
                tokens.push_back(ps[s][i]);
                seqs.push_back(s);
                index.push_back(i);
            }
    ASSERT_EQ(llmrt_decode_multi(ctx.get(), tokens.data(), seqs.data(), static_cast<int32_t>(tokens.size())), LLMRT_OK)
        << llmrt_last_error();
    double worst = 0.0;
    for (size_t i = 0; i < tokens.size(); ++i) {
        const float *row = llmrt_get_logits_ith(ctx.get(), static_cast<int32_t>(i));
        ASSERT_NE(row, nullptr);
        worst = std::max(worst, max_abs_diff(row, expected[static_cast<size_t>(seqs[i])][index[i]]));
    }
    for (int s = 0; s < n_seq; ++s) EXPECT_EQ(llmrt_seq_n_past(ctx.get(), s), static_cast<int32_t>(ps[s].size()));
    for (int k = 0; k < steps; ++k) {
        std::vector<int32_t> step_tokens, step_seqs;
        for (int s = n_seq - 1; s >= 0; --s) {  // any order of sequences within a call
            step_tokens.push_back(next[s][k]);
            step_seqs.push_back(s);
        }
        ASSERT_EQ(llmrt_decode_multi(ctx.get(), step_tokens.data(), step_seqs.data(), n_seq), LLMRT_OK)
            << llmrt_last_error();
        for (int i = 0; i < n_seq; ++i) {
            const int s = step_seqs[i];
            worst = std::max(worst, max_abs_diff(llmrt_get_logits_ith(ctx.get(), i), expected[s][ps[s].size() + k]));
        }
    }
    EXPECT_LT(worst, 1e-4) << "max |logit together - logit alone|";
}

TEST(MultiSequence, Stories260KTogetherEqualsAlone) {
    auto model = test::load(test::source_path("models/stories260K/stories260K.gguf"));
    ASSERT_TRUE(model);
    expect_together_equals_alone(model.get());
}

// A copy of a synthetic checkpoint's directory with config.json edited (the weights linked).
fs::path edited_copy(const std::string &arch, const std::string &key, const nlohmann::json &value) {
    const fs::path from = test::shared_path("models/synthetic/" + arch);
    const fs::path to = fs::temp_directory_path() / ("llmrt_multiseq_" + arch + "_" + std::to_string(::getpid()));
    fs::remove_all(to);
    fs::create_directories(to);
    for (const auto &entry : fs::directory_iterator(from))
        if (entry.path().filename() != "config.json") fs::create_symlink(entry.path(), to / entry.path().filename());
    nlohmann::json config = test::read_json((from / "config.json").string());
    config[key] = value;
    std::ofstream(to / "config.json") << config.dump();
    return to;
}

class MultiSequenceFamily : public ::testing::TestWithParam<std::string> {};

TEST_P(MultiSequenceFamily, TogetherEqualsAlone) {
    auto model = test::load(test::shared_path("models/synthetic/" + GetParam()));
    ASSERT_TRUE(model);
    expect_together_equals_alone(model.get());
}

// llama: RoPE with grouped KV heads; bloom: ALiBi; gpt2, opt: learned positions (opt's offset 2);
// falcon: parallel block, one KV head; gptj: interleaved RoPE pairs, partial rotation; phi: partial
// rotation; mixtral: experts; chatglm: its own RoPE layout.
INSTANTIATE_TEST_SUITE_P(Families, MultiSequenceFamily,
                         ::testing::Values("llama", "bloom", "gpt2", "opt", "falcon", "gptj", "phi", "mixtral",
                                           "chatglm", "qwen2"),
                         [](const ::testing::TestParamInfo<std::string> &info) { return info.param; });

TEST(MultiSequence, SlidingWindowTogetherEqualsAlone) {
    // mistral's window of 4096 never binds in a short test: a window of 6 does.
    const fs::path dir = edited_copy("mistral", "sliding_window", 6);
    {
        auto model = test::load(dir.string());
        ASSERT_TRUE(model);
        expect_together_equals_alone(model.get());
    }
    fs::remove_all(dir);
}

// Every cache type (the copy of a q8 cache carries its scales).
class MultiSequenceKv : public ::testing::TestWithParam<int32_t> {};

TEST_P(MultiSequenceKv, CopyThenDiverge) {
    const int32_t kv_type = GetParam();
    auto model = test::load(test::source_path("models/stories260K/stories260K.gguf"));
    ASSERT_TRUE(model);
    llmrt_model *m = model.get();
    const std::vector<int32_t> prompt = test::tokenize(m, "Once upon a time, there was a little dog");
    auto ctx = multi_context(m, 4, 128, 512, kv_type);
    ASSERT_EQ(llmrt_decode(ctx.get(), prompt.data(), static_cast<int32_t>(prompt.size())), LLMRT_OK);
    EXPECT_EQ(llmrt_seq_n_past(ctx.get(), 0), static_cast<int32_t>(prompt.size()));
    EXPECT_EQ(llmrt_context_n_past(ctx.get()), static_cast<int32_t>(prompt.size()));
    for (int32_t s = 1; s < 4; ++s) ASSERT_EQ(llmrt_seq_copy(ctx.get(), 0, s), LLMRT_OK) << llmrt_last_error();
    const std::vector<int32_t> forks = {100, 200, 300, 400};
    const std::vector<int32_t> seqs = {0, 1, 2, 3};
    ASSERT_EQ(llmrt_decode_multi(ctx.get(), forks.data(), seqs.data(), 4), LLMRT_OK) << llmrt_last_error();
    for (int32_t s = 0; s < 4; ++s) {
        EXPECT_EQ(llmrt_seq_n_past(ctx.get(), s), static_cast<int32_t>(prompt.size()) + 1);
        const auto expected = alone(m, prompt, {forks[s]}, kv_type);
        EXPECT_LT(max_abs_diff(llmrt_get_logits_ith(ctx.get(), s), expected.back()), 1e-4) << "sequence " << s;
    }
}

INSTANTIATE_TEST_SUITE_P(KvTypes, MultiSequenceKv,
                         ::testing::Values(LLMRT_KV_F32, LLMRT_KV_F16, LLMRT_KV_BF16, LLMRT_KV_INT8));

TEST(MultiSequence, RemoveTruncateAndReuse) {
    auto model = test::load(test::source_path("models/stories260K/stories260K.gguf"));
    ASSERT_TRUE(model);
    llmrt_model *m = model.get();
    const auto ps = prompts(m, 3);
    auto ctx = multi_context(m, 2);
    const int32_t s1 = 1;
    ASSERT_EQ(llmrt_decode_multi(ctx.get(), ps[0].data(), std::vector<int32_t>(ps[0].size(), s1).data(),
                                 static_cast<int32_t>(ps[0].size())),
              LLMRT_OK);
    // Removed, then reused for another prompt: as if it had never held the first.
    ASSERT_EQ(llmrt_seq_remove(ctx.get(), 1), LLMRT_OK);
    EXPECT_EQ(llmrt_seq_n_past(ctx.get(), 1), 0);
    ASSERT_EQ(llmrt_decode_multi(ctx.get(), ps[1].data(), std::vector<int32_t>(ps[1].size(), s1).data(),
                                 static_cast<int32_t>(ps[1].size())),
              LLMRT_OK);
    const auto expected = alone(m, ps[1], {});
    EXPECT_LT(max_abs_diff(llmrt_get_logits_ith(ctx.get(), static_cast<int32_t>(ps[1].size()) - 1), expected.back()), 1e-4);
    // Truncated to 3 tokens and continued with another: the prefix plus that token, alone.
    ASSERT_EQ(llmrt_seq_truncate(ctx.get(), 1, 3), LLMRT_OK);
    EXPECT_EQ(llmrt_seq_n_past(ctx.get(), 1), 3);
    const int32_t t = 42;
    ASSERT_EQ(llmrt_decode_multi(ctx.get(), &t, &s1, 1), LLMRT_OK);
    const auto prefix_then = alone(m, std::vector<int32_t>(ps[1].begin(), ps[1].begin() + 3), {t});
    EXPECT_LT(max_abs_diff(llmrt_get_logits_ith(ctx.get(), 0), prefix_then.back()), 1e-4);
    // Sequence 0 was never touched; reset empties every sequence.
    EXPECT_EQ(llmrt_seq_n_past(ctx.get(), 0), 0);
    llmrt_context_reset(ctx.get());
    EXPECT_EQ(llmrt_seq_n_past(ctx.get(), 1), 0);
}

TEST(MultiSequence, BadInputGivesAStatus) {
    auto model = test::load(test::source_path("models/stories260K/stories260K.gguf"));
    ASSERT_TRUE(model);
    llmrt_model *m = model.get();
    for (int32_t bad : {0, -1, LLMRT_MAX_SEQUENCES + 1}) {
        llmrt_context_params p;
        llmrt_context_params_init(&p);
        p.n_seq_max = bad;
        llmrt_context *c = reinterpret_cast<llmrt_context *>(&p);
        EXPECT_EQ(llmrt_context_create(m, &p, &c), LLMRT_ERR_INVALID_ARGUMENT) << bad;
        EXPECT_EQ(c, nullptr);
        EXPECT_NE(std::string(llmrt_last_error()).find("n_seq_max"), std::string::npos) << llmrt_last_error();
    }
    auto one = test::context(m, 64);
    EXPECT_EQ(llmrt_context_n_seq_max(one.get()), 1);
    EXPECT_EQ(llmrt_seq_n_past(one.get(), 1), -1);
    EXPECT_EQ(llmrt_seq_n_past(nullptr, 0), -1);

    auto ctx = multi_context(m, 2, 8);
    const std::vector<int32_t> tokens = {5, 6, 7};
    const std::vector<int32_t> bad_seq = {0, 2, 1};
    EXPECT_EQ(llmrt_decode_multi(ctx.get(), tokens.data(), bad_seq.data(), 3), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(llmrt_last_error()).find("sequence id 2"), std::string::npos) << llmrt_last_error();
    const std::vector<int32_t> negative = {0, -1, 1};
    EXPECT_EQ(llmrt_decode_multi(ctx.get(), tokens.data(), negative.data(), 3), LLMRT_ERR_INVALID_ARGUMENT);
    const std::vector<int32_t> bad_token = {5, 1 << 20, 7}, ok_seq = {0, 1, 1};
    EXPECT_EQ(llmrt_decode_multi(ctx.get(), bad_token.data(), ok_seq.data(), 3), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_decode_multi(ctx.get(), nullptr, ok_seq.data(), 3), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_decode_multi(ctx.get(), tokens.data(), nullptr, 3), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_decode_multi(ctx.get(), tokens.data(), ok_seq.data(), 0), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_decode_multi(nullptr, tokens.data(), ok_seq.data(), 3), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_seq_n_past(ctx.get(), 0), 0);  // nothing was evaluated
    EXPECT_EQ(llmrt_seq_n_past(ctx.get(), 1), 0);

    // Sequence 1 full after 8 tokens: a call that would pass it changes no sequence.
    const std::vector<int32_t> eight(8, 9), ones(8, 1);
    ASSERT_EQ(llmrt_decode_multi(ctx.get(), eight.data(), ones.data(), 8), LLMRT_OK) << llmrt_last_error();
    const std::vector<int32_t> two = {5, 6}, zero_one = {0, 1};
    EXPECT_EQ(llmrt_decode_multi(ctx.get(), two.data(), zero_one.data(), 2), LLMRT_ERR_CONTEXT_FULL);
    EXPECT_NE(std::string(llmrt_last_error()).find("sequence 1 is full"), std::string::npos) << llmrt_last_error();
    EXPECT_EQ(llmrt_seq_n_past(ctx.get(), 0), 0);
    EXPECT_EQ(llmrt_seq_n_past(ctx.get(), 1), 8);

    EXPECT_EQ(llmrt_seq_copy(ctx.get(), 0, 2), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_seq_copy(ctx.get(), -1, 0), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_seq_copy(ctx.get(), 1, 1), LLMRT_OK);  // nothing to do
    EXPECT_EQ(llmrt_seq_remove(ctx.get(), 5), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_seq_truncate(ctx.get(), 1, 9), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_seq_truncate(ctx.get(), 1, -1), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_seq_truncate(ctx.get(), 3, 0), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_seq_remove(nullptr, 0), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_seq_n_past(ctx.get(), 1), 8);
}

// More tokens than n_batch in one call: split into several forward passes, same logits.
TEST(MultiSequence, CallsLongerThanABatch) {
    auto model = test::load(test::source_path("models/stories260K/stories260K.gguf"));
    ASSERT_TRUE(model);
    llmrt_model *m = model.get();
    const auto ps = prompts(m, 2);
    auto ctx = multi_context(m, 2, 64, 4);
    std::vector<int32_t> tokens, seqs;
    for (int s = 0; s < 2; ++s)
        for (int32_t t : ps[s]) {
            tokens.push_back(t);
            seqs.push_back(s);
        }
    ASSERT_EQ(llmrt_decode_multi(ctx.get(), tokens.data(), seqs.data(), static_cast<int32_t>(tokens.size())), LLMRT_OK);
    const auto expected = alone(m, ps[1], {});
    EXPECT_LT(max_abs_diff(llmrt_get_logits_ith(ctx.get(), static_cast<int32_t>(tokens.size()) - 1), expected.back()), 1e-4);
}

// Keeping only some rows' logits (each prompt's last, as a server's prefill step needs) gives those
// rows the logits of the full call, over batch boundaries, and NULL for the others.
TEST(MultiSequence, SelectedRowsKeepTheirLogits) {
    auto model = test::load(test::source_path("models/stories260K/stories260K.gguf"));
    ASSERT_TRUE(model);
    llmrt_model *m = model.get();
    const auto ps = prompts(m, 3);
    std::vector<int32_t> tokens, seqs;
    std::vector<int8_t> want;
    for (int s = 0; s < 3; ++s)
        for (size_t i = 0; i < ps[s].size(); ++i) {
            tokens.push_back(ps[s][i]);
            seqs.push_back(s);
            want.push_back(i + 1 == ps[s].size() ? 1 : 0);
        }
    const int32_t n = static_cast<int32_t>(tokens.size());
    auto all = multi_context(m, 3, 64, 4);  // n_batch 4: the call runs in several steps
    ASSERT_EQ(llmrt_decode_multi(all.get(), tokens.data(), seqs.data(), n), LLMRT_OK);
    auto some = multi_context(m, 3, 64, 4);
    ASSERT_EQ(llmrt_decode_multi_select(some.get(), tokens.data(), seqs.data(), want.data(), n), LLMRT_OK)
        << llmrt_last_error();
    const int32_t vocab = llmrt_model_n_vocab(m);
    for (int32_t i = 0; i < n; ++i) {
        const float *got = llmrt_get_logits_ith(some.get(), i);
        if (!want[static_cast<size_t>(i)]) {
            EXPECT_EQ(got, nullptr) << i;
            continue;
        }
        ASSERT_NE(got, nullptr) << i;
        const float *ref = llmrt_get_logits_ith(all.get(), i);
        EXPECT_LT(max_abs_diff(got, std::vector<float>(ref, ref + vocab)), 1e-5) << i;
    }
    // NULL keeps every row, as llmrt_decode_multi.
    auto every = multi_context(m, 3, 64, 4);
    ASSERT_EQ(llmrt_decode_multi_select(every.get(), tokens.data(), seqs.data(), nullptr, n), LLMRT_OK);
    EXPECT_NE(llmrt_get_logits_ith(every.get(), 0), nullptr);
}

}  // namespace
