#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "core/error.h"
#include "runtime/sampler.h"

namespace llmrt {
namespace {

SamplerOptions plain(float temperature, uint64_t seed = 7) {
    SamplerOptions o;
    o.temperature = temperature;
    o.top_k = 0;
    o.top_p = 1.0f;
    o.min_p = 0.0f;
    o.seed = seed;
    return o;
}

TEST(Sampler, GreedyTakesArgmaxLowestIdOnTies) {
    Sampler s(plain(0.0f));
    const std::vector<float> logits = {1.0f, 3.0f, 3.0f, -2.0f};
    EXPECT_EQ(s.sample(logits.data(), 4), 1);
}

TEST(Sampler, SameSeedSameSequence) {
    const std::vector<float> logits = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};
    Sampler a(plain(1.0f, 42)), b(plain(1.0f, 42)), c(plain(1.0f, 43));
    std::vector<int32_t> sa, sb, sc;
    for (int i = 0; i < 50; ++i) {
        sa.push_back(a.sample(logits.data(), 6));
        sb.push_back(b.sample(logits.data(), 6));
        sc.push_back(c.sample(logits.data(), 6));
    }
    EXPECT_EQ(sa, sb);
    EXPECT_NE(sa, sc);
    a.reset();
    for (int i = 0; i < 50; ++i) EXPECT_EQ(a.sample(logits.data(), 6), sa[static_cast<size_t>(i)]);
}

TEST(Sampler, FrequenciesFollowSoftmax) {
    const std::vector<float> logits = {0.0f, std::log(2.0f), std::log(3.0f)};  // p = 1/6, 2/6, 3/6
    Sampler s(plain(1.0f));
    std::map<int32_t, int> counts;
    const int n = 30000;
    for (int i = 0; i < n; ++i) ++counts[s.sample(logits.data(), 3)];
    EXPECT_NEAR(counts[0] / double(n), 1.0 / 6, 0.015);
    EXPECT_NEAR(counts[1] / double(n), 2.0 / 6, 0.015);
    EXPECT_NEAR(counts[2] / double(n), 3.0 / 6, 0.015);
}

TEST(Sampler, TopKTopPAndMinPRestrictTheCandidates) {
    const std::vector<float> logits = {5.0f, 4.0f, 0.0f, -1.0f, 4.5f};
    SamplerOptions k = plain(1.0f);
    k.top_k = 2;
    SamplerOptions p = plain(1.0f);
    p.top_p = 0.5f;  // the top token alone holds ~0.5 of the mass: at most two survive
    SamplerOptions m = plain(1.0f);
    m.min_p = 0.5f;  // keeps tokens with p >= p_max / 2: ids 0 and 4 (4.5 -> 0.61 of max)
    Sampler sk(k), sp(p), sm(m);
    for (int i = 0; i < 500; ++i) {
        const int32_t a = sk.sample(logits.data(), 5), b = sp.sample(logits.data(), 5), c = sm.sample(logits.data(), 5);
        EXPECT_TRUE(a == 0 || a == 4) << a;
        EXPECT_TRUE(b == 0 || b == 4) << b;
        EXPECT_TRUE(c == 0 || c == 4) << c;
    }
}

TEST(Sampler, RepetitionPenaltyAppliesOncePerDistinctToken) {
    SamplerOptions o = plain(0.0f);
    o.repetition_penalty = 2.0f;
    Sampler s(o);
    const std::vector<float> logits = {3.0f, 2.0f};
    EXPECT_EQ(s.sample(logits.data(), 2), 0);  // 0 is now remembered: 3/2 = 1.5 < 2
    EXPECT_EQ(s.sample(logits.data(), 2), 1);  // 1 remembered too: 1.5 vs 1.0
    EXPECT_EQ(s.sample(logits.data(), 2), 0);  // 0 twice must not mean 3/4
}

TEST(Sampler, InvalidOptionsThrow) {
    SamplerOptions o = plain(-1.0f);
    EXPECT_THROW(Sampler{o}, Error);
    o = plain(1.0f);
    o.top_p = 1.5f;
    EXPECT_THROW(Sampler{o}, Error);
    o = plain(1.0f);
    o.repetition_penalty = 0.0f;
    EXPECT_THROW(Sampler{o}, Error);
}

}  // namespace
}  // namespace llmrt
