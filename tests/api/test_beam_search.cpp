// llmrt_beam_search against a plain beam search written here: it re-evaluates every beam from
// scratch in a fresh single-sequence context and takes its own log-softmax of the logits, and
// follows Hugging Face generate's rules (transformers' _beam_search) step by step. Same token
// sequences and scores (within 1e-4) for several num_beams / length_penalty / early_stopping.
// stories260K rarely ends a story within a test's length (its stories end with BOS, not EOS), so
// most settings make "." the end-of-sequence id (eos_token_id): hypotheses then finish early and
// the early_stopping rules decide when the search ends.
#include <algorithm>
#include <cmath>

#include "test_support.h"

namespace {

struct Hypothesis {
    std::vector<int32_t> tokens;
    double score;
};

struct Settings {
    int32_t num_beams;
    int32_t num_return;
    int32_t max_new_tokens;
    float length_penalty;
    int32_t early_stopping;
    bool period_eos;  // "." ends a hypothesis (eos_token_id), else the model's EOS
};

// The id of "." as the tokenizer ends a sentence with it (not the byte-fallback token of '.').
int32_t period_id(llmrt_model *m) {
    const int32_t id = test::tokenize(m, "He ran.", false).back();
    char piece[16];
    size_t n = 0;
    EXPECT_EQ(llmrt_token_to_piece_v2(m, id, piece, sizeof piece, &n), LLMRT_OK);
    EXPECT_EQ(std::string(piece, n), ".");
    return id;
}

// ln p(next | prefix) for every token, from a fresh context.
std::vector<double> next_log_probs(llmrt_model *m, const std::vector<int32_t> &prefix) {
    auto ctx = test::context(m, 256, 1);
    EXPECT_EQ(llmrt_decode(ctx.get(), prefix.data(), static_cast<int32_t>(prefix.size())), LLMRT_OK);
    const int32_t n_vocab = llmrt_model_n_vocab(m);
    const float *logits = llmrt_get_logits(ctx.get());
    double max_logit = logits[0];
    for (int32_t v = 1; v < n_vocab; ++v) max_logit = std::max(max_logit, static_cast<double>(logits[v]));
    double sum = 0.0;
    for (int32_t v = 0; v < n_vocab; ++v) sum += std::exp(logits[v] - max_logit);
    std::vector<double> out(static_cast<size_t>(n_vocab));
    for (int32_t v = 0; v < n_vocab; ++v) out[static_cast<size_t>(v)] = logits[v] - max_logit - std::log(sum);
    return out;
}

// *steps receives the number of steps it ran.
std::vector<Hypothesis> reference_beam_search(llmrt_model *m, const std::vector<int32_t> &prompt, const Settings &s,
                                              int32_t eos, int32_t *steps) {
    struct Running {
        std::vector<int32_t> tokens;
        double sum;
    };
    std::vector<Running> running = {{{}, 0.0}};
    std::vector<Hypothesis> kept;
    const size_t beams = static_cast<size_t>(s.num_beams);
    for (int32_t length = 1; length <= s.max_new_tokens; ++length) {
        *steps = length;
        struct Cand {
            double sum;
            size_t beam;
            int32_t token;
        };
        std::vector<Cand> cands;
        for (size_t b = 0; b < running.size(); ++b) {
            std::vector<int32_t> ids = prompt;
            ids.insert(ids.end(), running[b].tokens.begin(), running[b].tokens.end());
            const std::vector<double> lp = next_log_probs(m, ids);
            for (size_t v = 0; v < lp.size(); ++v) cands.push_back({running[b].sum + lp[v], b, static_cast<int32_t>(v)});
        }
        std::sort(cands.begin(), cands.end(), [](const Cand &a, const Cand &b) {
            if (a.sum != b.sum) return a.sum > b.sum;
            return a.beam != b.beam ? a.beam < b.beam : a.token < b.token;
        });
        cands.resize(std::min(cands.size(), 2 * beams));
        std::vector<Running> next;
        for (size_t rank = 0; rank < cands.size(); ++rank) {
            std::vector<int32_t> tokens = running[cands[rank].beam].tokens;
            tokens.push_back(cands[rank].token);
            const bool done = cands[rank].token == eos || length == s.max_new_tokens;
            if (done && rank < beams) {
                kept.push_back({tokens, cands[rank].sum / std::pow(static_cast<double>(length), s.length_penalty)});
                std::stable_sort(kept.begin(), kept.end(),
                                 [](const Hypothesis &a, const Hypothesis &b) { return a.score > b.score; });
                if (kept.size() > beams) kept.pop_back();
            } else if (!done && next.size() < beams) {
                next.push_back({tokens, cands[rank].sum});
            }
        }
        if (next.empty()) break;
        if (kept.size() == beams) {
            if (s.early_stopping == LLMRT_EARLY_STOPPING_TRUE) break;
            const bool never = s.early_stopping == LLMRT_EARLY_STOPPING_NEVER && s.length_penalty > 0.0f;
            const double best = next[0].sum / std::pow(static_cast<double>(never ? s.max_new_tokens : length),
                                                       s.length_penalty);
            if (!(best > kept.back().score)) break;
        }
        running = next;
    }
    kept.resize(std::min(kept.size(), static_cast<size_t>(s.num_return)));
    return kept;
}

std::vector<Hypothesis> library_beam_search(llmrt_context *ctx, const std::vector<int32_t> &prompt, const Settings &s,
                                            int32_t eos) {
    llmrt_beam_params p;
    llmrt_beam_params_init(&p);
    p.eos_token_id = s.period_eos ? eos : -1;
    p.num_beams = s.num_beams;
    p.num_return_sequences = s.num_return;
    p.max_new_tokens = s.max_new_tokens;
    p.length_penalty = s.length_penalty;
    p.early_stopping = s.early_stopping;
    llmrt_beam_results *results = nullptr;
    EXPECT_EQ(llmrt_beam_search(ctx, prompt.data(), static_cast<int32_t>(prompt.size()), &p, &results), LLMRT_OK)
        << llmrt_last_error();
    std::vector<Hypothesis> out;
    for (int32_t i = 0; i < llmrt_beam_results_count(results); ++i) {
        int32_t n = 0;
        const llmrt_token *ids = llmrt_beam_results_tokens(results, i, &n);
        out.push_back({std::vector<int32_t>(ids, ids + n), llmrt_beam_results_score(results, i)});
    }
    llmrt_beam_results_free(results);
    return out;
}

test::ContextPtr beam_context(llmrt_model *m, int32_t n_seq_max, int32_t n_ctx = 256) {
    llmrt_context_params p;
    llmrt_context_params_init(&p);
    p.n_ctx = n_ctx;
    p.n_threads = 2;
    p.n_seq_max = n_seq_max;
    llmrt_context *c = nullptr;
    EXPECT_EQ(llmrt_context_create(m, &p, &c), LLMRT_OK) << llmrt_last_error();
    return test::ContextPtr(c);
}

class BeamSearch : public ::testing::TestWithParam<Settings> {};

TEST_P(BeamSearch, MatchesAPlainBeamSearch) {
    const Settings s = GetParam();
    auto model = test::load(test::source_path("models/stories260K/stories260K.gguf"));
    ASSERT_TRUE(model);
    llmrt_model *m = model.get();
    const int32_t eos = s.period_eos ? period_id(m) : llmrt_model_eos(m);
    ASSERT_GE(eos, 0);
    auto ctx = beam_context(m, 8);
    bool ended_by_eos = false, stopped_early = false;
    for (const char *text : {"Once upon a time", "The little girl went to the park. She saw a big", "Tom had a ball"}) {
        SCOPED_TRACE(text);
        const std::vector<int32_t> prompt = test::tokenize(m, text);
        int32_t steps = 0;
        const std::vector<Hypothesis> expected = reference_beam_search(m, prompt, s, eos, &steps);
        const std::vector<Hypothesis> got = library_beam_search(ctx.get(), prompt, s, eos);
        ASSERT_EQ(got.size(), expected.size());
        for (size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].tokens, expected[i].tokens) << "hypothesis " << i;
            EXPECT_NEAR(got[i].score, expected[i].score, 1e-4) << "hypothesis " << i;
            ended_by_eos = ended_by_eos || got[i].tokens.back() == eos;
        }
        stopped_early = stopped_early || steps < s.max_new_tokens;
    }
    // The settings with "." as EOS exercise finishing by EOS and the early_stopping rules.
    if (s.period_eos) {
        EXPECT_TRUE(ended_by_eos);
        EXPECT_TRUE(stopped_early);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Settings, BeamSearch,
    ::testing::Values(Settings{1, 1, 24, 1.0f, LLMRT_EARLY_STOPPING_FALSE, false},
                      Settings{4, 2, 32, 1.0f, LLMRT_EARLY_STOPPING_FALSE, false},
                      Settings{2, 2, 40, 1.0f, LLMRT_EARLY_STOPPING_FALSE, true},
                      Settings{4, 1, 40, 1.0f, LLMRT_EARLY_STOPPING_FALSE, true},
                      Settings{4, 4, 40, 1.0f, LLMRT_EARLY_STOPPING_TRUE, true},
                      Settings{3, 2, 40, 0.5f, LLMRT_EARLY_STOPPING_NEVER, true},
                      Settings{3, 3, 40, 2.0f, LLMRT_EARLY_STOPPING_FALSE, true},
                      Settings{5, 2, 40, -1.0f, LLMRT_EARLY_STOPPING_NEVER, true},
                      Settings{4, 2, 40, 0.0f, LLMRT_EARLY_STOPPING_TRUE, true},
                      Settings{3, 3, 40, 1.5f, LLMRT_EARLY_STOPPING_NEVER, true}));

TEST(BeamSearchErrors, BadInputGivesAStatus) {
    auto model = test::load(test::source_path("models/stories260K/stories260K.gguf"));
    ASSERT_TRUE(model);
    llmrt_model *m = model.get();
    const std::vector<int32_t> prompt = test::tokenize(m, "Once upon a time");
    llmrt_beam_params p;
    llmrt_beam_params_init(&p);
    llmrt_beam_results *results = reinterpret_cast<llmrt_beam_results *>(&p);

    auto small = beam_context(m, 2);  // fewer sequences than the default 4 beams
    EXPECT_EQ(llmrt_beam_search(small.get(), prompt.data(), 4, &p, &results), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(results, nullptr);
    EXPECT_NE(std::string(llmrt_last_error()).find("n_seq_max >= 4"), std::string::npos) << llmrt_last_error();

    auto ctx = beam_context(m, 4, 32);
    p.num_return_sequences = 5;
    EXPECT_EQ(llmrt_beam_search(ctx.get(), prompt.data(), 4, &p, &results), LLMRT_ERR_INVALID_ARGUMENT);
    llmrt_beam_params_init(&p);
    p.early_stopping = 3;
    EXPECT_EQ(llmrt_beam_search(ctx.get(), prompt.data(), 4, &p, &results), LLMRT_ERR_INVALID_ARGUMENT);
    llmrt_beam_params_init(&p);
    p.max_new_tokens = 0;
    EXPECT_EQ(llmrt_beam_search(ctx.get(), prompt.data(), 4, &p, &results), LLMRT_ERR_INVALID_ARGUMENT);
    llmrt_beam_params_init(&p);
    p.max_new_tokens = 30;  // 4 + 30 > 32
    EXPECT_EQ(llmrt_beam_search(ctx.get(), prompt.data(), 4, &p, &results), LLMRT_ERR_CONTEXT_FULL);
    EXPECT_EQ(llmrt_beam_search(ctx.get(), nullptr, 4, &p, &results), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_beam_search(ctx.get(), prompt.data(), 4, &p, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    const std::vector<int32_t> bad = {1, 1 << 20};
    p.max_new_tokens = 4;
    EXPECT_EQ(llmrt_beam_search(ctx.get(), bad.data(), 2, &p, &results), LLMRT_ERR_INVALID_ARGUMENT);
    p.eos_token_id = 1 << 20;
    EXPECT_EQ(llmrt_beam_search(ctx.get(), prompt.data(), 4, &p, &results), LLMRT_ERR_INVALID_ARGUMENT);
    p.eos_token_id = -1;
    EXPECT_EQ(results, nullptr);

    // The text form and the results' accessors out of range.
    ASSERT_EQ(llmrt_beam_search_text(ctx.get(), "Once upon a time", 1, &p, &results), LLMRT_OK) << llmrt_last_error();
    EXPECT_EQ(llmrt_beam_results_count(results), 1);
    int32_t n = -1;
    EXPECT_EQ(llmrt_beam_results_tokens(results, 1, &n), nullptr);
    EXPECT_EQ(n, 0);
    EXPECT_NE(llmrt_beam_results_tokens(results, 0, &n), nullptr);
    EXPECT_EQ(n, 4);
    EXPECT_EQ(llmrt_beam_results_score(results, -1), 0.0);
    EXPECT_LT(llmrt_beam_results_score(results, 0), 0.0);
    llmrt_beam_results_free(results);
    llmrt_beam_results_free(nullptr);
    EXPECT_EQ(llmrt_beam_results_count(nullptr), 0);
}

}  // namespace
