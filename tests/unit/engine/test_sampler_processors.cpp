// The sampler's logit processors (logit bias, presence / frequency penalties, the n-gram ban)
// against independent computations written here: greedy sampling must pick the argmax of the
// logits as the reference adjusts them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "runtime/sampler.h"

namespace llmrt {
namespace {

SamplerOptions greedy() {
    SamplerOptions o;
    o.temperature = 0.0f;
    o.top_k = 0;
    o.top_p = 1.0f;
    o.min_p = 0.0f;
    return o;
}

// HF's _get_ngrams / _calc_banned_ngram_tokens, written out: every n-gram of the sequence as a
// (prefix -> next tokens) map, looked up with the sequence's last n-1 tokens.
std::set<int32_t> banned_by_ngrams(const std::vector<int32_t> &seq, size_t n) {
    std::set<int32_t> banned;
    if (n == 0 || seq.size() + 1 < n) return banned;
    std::map<std::vector<int32_t>, std::set<int32_t>> next;
    for (size_t i = 0; i + n <= seq.size(); ++i)
        next[std::vector<int32_t>(seq.begin() + static_cast<long>(i), seq.begin() + static_cast<long>(i + n - 1))]
            .insert(seq[i + n - 1]);
    const std::vector<int32_t> tail(seq.end() - static_cast<long>(n - 1), seq.end());
    auto it = next.find(tail);
    if (it != next.end()) banned = it->second;
    return banned;
}

// The documented semantics: bias, then over the last repetition_last_n picked tokens the
// repetition penalty and logit -= presence * (count > 0) + frequency * count, then the ban.
std::vector<float> reference(std::vector<float> logits, const SamplerOptions &o, const std::vector<int32_t> &prompt,
                             const std::vector<int32_t> &picked) {
    for (const auto &[id, bias] : o.logit_bias) logits[static_cast<size_t>(id)] += bias;
    const size_t window = std::min(picked.size(), static_cast<size_t>(o.repetition_last_n));
    std::map<int32_t, int> count;
    for (size_t i = picked.size() - window; i < picked.size(); ++i) ++count[picked[i]];
    for (const auto &[id, c] : count) {
        float &l = logits[static_cast<size_t>(id)];
        l = l > 0.0f ? l / o.repetition_penalty : l * o.repetition_penalty;
        l -= o.presence_penalty * (c > 0 ? 1.0f : 0.0f) + o.frequency_penalty * static_cast<float>(c);
    }
    std::vector<int32_t> seq = prompt;
    seq.insert(seq.end(), picked.begin(), picked.end());
    for (int32_t id : banned_by_ngrams(seq, static_cast<size_t>(o.no_repeat_ngram_size)))
        logits[static_cast<size_t>(id)] = -INFINITY;
    return logits;
}

int32_t argmax(const std::vector<float> &v) {
    return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

// Random logits, histories and settings; a small vocabulary so that penalties and bans bite.
TEST(SamplerProcessors, GreedyPickIsTheArgmaxOfTheReferenceLogits) {
    std::mt19937 rng(1234);
    std::uniform_real_distribution<float> logit(-4.0f, 4.0f), penalty(0.0f, 2.0f);
    std::uniform_int_distribution<int32_t> token(0, 5), length(0, 12);
    const int32_t n_vocab = 6;
    int changed = 0, banned_somewhere = 0;
    for (int trial = 0; trial < 400; ++trial) {
        SamplerOptions o = greedy();
        o.presence_penalty = penalty(rng);
        o.frequency_penalty = penalty(rng);
        o.repetition_penalty = 1.0f + penalty(rng) / 2.0f;
        o.repetition_last_n = 1 + length(rng) / 2;
        o.no_repeat_ngram_size = trial % 4;  // 0 = off, 1, 2, 3
        o.logit_bias = {{token(rng), logit(rng)}};
        std::vector<int32_t> prompt(static_cast<size_t>(length(rng))), picked(static_cast<size_t>(length(rng)));
        for (int32_t &t : prompt) t = token(rng);
        for (int32_t &t : picked) t = token(rng);
        std::vector<float> logits(n_vocab);
        for (float &l : logits) l = logit(rng);

        const std::vector<float> expected = reference(logits, o, prompt, picked);
        if (std::all_of(expected.begin(), expected.end(), [](float l) { return l == -INFINITY; })) continue;
        Sampler s(o);
        s.accept_prompt(prompt.data(), prompt.size());
        for (int32_t t : picked) s.accept(t);
        const int32_t got = s.sample(logits.data(), n_vocab);
        EXPECT_EQ(got, argmax(expected)) << "trial " << trial;
        changed += argmax(expected) != argmax(logits);
        banned_somewhere += std::count(expected.begin(), expected.end(), -INFINITY) > 0;
    }
    // The trials must exercise the processors, not pass because they did nothing.
    EXPECT_GT(changed, 100);
    EXPECT_GT(banned_somewhere, 50);
}

TEST(SamplerProcessors, PresenceAndFrequencyOverThePickedWindowOnly) {
    SamplerOptions o = greedy();
    o.presence_penalty = 0.5f;
    o.frequency_penalty = 0.25f;
    o.repetition_last_n = 3;
    const std::vector<float> logits = {2.0f, 1.2f, 0.0f};
    // The prompt is not in the penalty window: 0 stays the pick.
    Sampler s(o);
    const std::vector<int32_t> prompt = {0, 0, 0, 0};
    s.accept_prompt(prompt.data(), prompt.size());
    EXPECT_EQ(s.sample(logits.data(), 3), 0);  // picked once: 2 - 0.5 - 0.25 = 1.25 > 1.2
    EXPECT_EQ(s.sample(logits.data(), 3), 0);
    // Picked twice: 2 - 0.5 - 0.5 = 1.0 < 1.2.
    const std::vector<float> expected = reference(logits, o, prompt, {0, 0});
    EXPECT_EQ(s.sample(logits.data(), 3), argmax(expected));
    EXPECT_EQ(argmax(expected), 1);
}

TEST(SamplerProcessors, NGramBanOnAHandMadeSequence) {
    // "a b c a b": with n = 3 the prefix (a b) was followed by c, so c is banned.
    const int32_t a = 0, b = 1, c = 2;
    const std::vector<int32_t> seq = {a, b, c, a, b};
    const std::vector<float> logits = {0.0f, 0.5f, 3.0f, 1.0f};  // c is the favourite, then token 3
    for (int32_t n : {0, 2, 3, 4}) {
        SamplerOptions o = greedy();
        o.no_repeat_ngram_size = n;
        Sampler s(o);
        s.accept_prompt(seq.data(), seq.size());
        const int32_t got = s.sample(logits.data(), 4);
        // n = 2: (b) was followed by c; n = 3: (a b) was; n = 4: (c a b) never occurred before.
        EXPECT_EQ(got, argmax(reference(logits, o, seq, {}))) << "n " << n;
        EXPECT_EQ(got, n == 2 || n == 3 ? 3 : c) << "n " << n;
    }
}

TEST(SamplerProcessors, LogitBiasMovesAndBans) {
    const std::vector<float> logits = {1.0f, 3.0f, 2.0f};
    SamplerOptions o = greedy();
    o.logit_bias = {{1, -INFINITY}};
    EXPECT_EQ(Sampler(o).sample(logits.data(), 3), 2);
    o.logit_bias = {{0, 2.5f}};
    EXPECT_EQ(Sampler(o).sample(logits.data(), 3), 0);
    // Sampling too must never pick a banned token, even with no other filter.
    o = greedy();
    o.temperature = 1.0f;
    o.logit_bias = {{1, -INFINITY}, {2, -INFINITY}};
    Sampler s(o);
    for (int i = 0; i < 200; ++i) ASSERT_EQ(s.sample(logits.data(), 3), 0);
}

TEST(SamplerProcessors, BadLogitBiasIsRefusedNamingTheId) {
    const std::vector<float> logits = {1.0f, 3.0f, 2.0f};
    SamplerOptions o = greedy();
    o.logit_bias = {{7, 1.0f}};
    Sampler s(o);
    try {
        s.sample(logits.data(), 3);
        FAIL() << "an id outside the vocabulary was accepted";
    } catch (const Error &e) {
        EXPECT_EQ(e.status(), Status::InvalidArgument);
        EXPECT_NE(std::string(e.what()).find("7"), std::string::npos) << e.what();
    }
    o.logit_bias = {{-1, 1.0f}};
    EXPECT_THROW(Sampler{o}, Error);
    o.logit_bias = {{0, NAN}};
    EXPECT_THROW(Sampler{o}, Error);
    o.logit_bias = {{0, -INFINITY}, {1, -INFINITY}, {2, -INFINITY}};
    EXPECT_THROW(Sampler(o).sample(logits.data(), 3), Error);  // nothing left to pick
}

}  // namespace
}  // namespace llmrt
