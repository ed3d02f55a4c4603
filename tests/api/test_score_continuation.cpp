// llmrt_score_continuation: the log-likelihood of a continuation and whether it is greedy, checked
// against float64 log-softmax over llmrt_get_logits_ith of one logits_all decode (also under the
// sanitizers).
#include "test_support.h"

#include <cmath>

namespace {

const std::string kModel = test::source_path("models/stories260K/stories260K.gguf");

// Sum of log p(cont[j]) and whether each is the first maximum, from a logits_all decode.
std::pair<double, bool> reference(llmrt_model *m, const std::vector<int32_t> &prefix, const std::vector<int32_t> &cont) {
    test::ContextPtr ctx = test::context(m, 0, 2, 1);
    std::vector<int32_t> all = prefix;
    all.insert(all.end(), cont.begin(), cont.end());
    EXPECT_EQ(llmrt_decode(ctx.get(), all.data(), static_cast<int32_t>(all.size())), LLMRT_OK);
    const int32_t n_vocab = llmrt_model_n_vocab(m);
    double total = 0.0;
    bool greedy = true;
    for (size_t j = 0; j < cont.size(); ++j) {
        const float *row = llmrt_get_logits_ith(ctx.get(), static_cast<int32_t>(prefix.size() - 1 + j));
        int32_t best = 0;
        for (int32_t v = 1; v < n_vocab; ++v)
            if (row[v] > row[best]) best = v;
        double sum = 0.0;
        for (int32_t v = 0; v < n_vocab; ++v) sum += std::exp(static_cast<double>(row[v]) - row[best]);
        total += static_cast<double>(row[cont[j]]) - row[best] - std::log(sum);
        greedy = greedy && best == cont[j];
    }
    return {total, greedy};
}

TEST(ScoreContinuation, MatchesLogitsAndReusesThePrefix) {
    test::ModelPtr m = test::load(kModel);
    const std::vector<int32_t> prefix = {1, 403, 407, 261, 378, 267};  // BOS "Once upon a time,"
    test::ContextPtr ctx = test::context(m.get());                      // without logits_all
    for (const std::vector<int32_t> &cont : {std::vector<int32_t>{365, 471}, std::vector<int32_t>{280},
                                             std::vector<int32_t>{365, 471, 261, 420, 290}}) {
        const auto want = reference(m.get(), prefix, cont);
        double lp = 1.0;
        int32_t greedy = -1;
        ASSERT_EQ(llmrt_score_continuation(ctx.get(), prefix.data(), static_cast<int32_t>(prefix.size()), cont.data(),
                                           static_cast<int32_t>(cont.size()), &lp, &greedy),
                  LLMRT_OK)
            << llmrt_last_error();
        EXPECT_NEAR(lp, want.first, 1e-5);
        EXPECT_EQ(greedy, want.second ? 1 : 0);
        EXPECT_EQ(llmrt_context_n_past(ctx.get()), static_cast<int32_t>(prefix.size() + cont.size() - 1));
    }
}

TEST(ScoreContinuation, GreedyContinuationIsGreedy) {
    test::ModelPtr m = test::load(kModel);
    test::ContextPtr ctx = test::context(m.get());
    std::vector<int32_t> prefix = {1, 403, 407, 261, 378};
    ASSERT_EQ(llmrt_decode(ctx.get(), prefix.data(), static_cast<int32_t>(prefix.size())), LLMRT_OK);
    std::vector<int32_t> cont;
    for (int i = 0; i < 4; ++i) {
        const float *row = llmrt_get_logits(ctx.get());
        int32_t best = 0;
        for (int32_t v = 1; v < llmrt_model_n_vocab(m.get()); ++v)
            if (row[v] > row[best]) best = v;
        cont.push_back(best);
        ASSERT_EQ(llmrt_decode(ctx.get(), &best, 1), LLMRT_OK);
    }
    double lp = 0.0;
    int32_t greedy = 0;
    ASSERT_EQ(llmrt_score_continuation(ctx.get(), prefix.data(), 5, cont.data(), 4, &lp, &greedy), LLMRT_OK);
    EXPECT_EQ(greedy, 1);
    EXPECT_NEAR(lp, reference(m.get(), prefix, cont).first, 1e-5);
}

TEST(ScoreContinuation, Arguments) {
    test::ModelPtr m = test::load(kModel);
    test::ContextPtr ctx = test::context(m.get(), 8);
    const int32_t ids[8] = {1, 403, 407, 261, 378, 267, 365, 471};
    double lp = 0.0;
    int32_t greedy = 0;
    EXPECT_EQ(llmrt_score_continuation(nullptr, ids, 1, ids + 1, 1, &lp, &greedy), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_score_continuation(ctx.get(), ids, 0, ids + 1, 1, &lp, &greedy), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_score_continuation(ctx.get(), ids, 1, ids + 1, 0, &lp, &greedy), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_score_continuation(ctx.get(), ids, 1, ids + 1, 1, nullptr, &greedy), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_score_continuation(ctx.get(), ids, 1, ids + 1, 1, &lp, nullptr), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_score_continuation(ctx.get(), ids, 5, ids, 4, &lp, &greedy), LLMRT_ERR_CONTEXT_FULL);
    const int32_t bad = llmrt_model_n_vocab(m.get());
    EXPECT_EQ(llmrt_score_continuation(ctx.get(), ids, 2, &bad, 1, &lp, &greedy), LLMRT_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(llmrt_score_continuation(ctx.get(), ids, 4, ids + 4, 4, &lp, &greedy), LLMRT_OK) << llmrt_last_error();
    EXPECT_LT(lp, 0.0);
}

}  // namespace
