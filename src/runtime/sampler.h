// Turns logits into a token: repetition penalty, top-k, top-p, min-p, temperature, then a draw
// from a seeded generator (or argmax when temperature is 0).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

namespace llmrt {

struct SamplerOptions {
    float temperature = 0.8f;
    int32_t top_k = 40;
    float top_p = 0.95f;
    float min_p = 0.05f;
    float repetition_penalty = 1.0f;
    int32_t repetition_last_n = 64;
    uint64_t seed = 0;
};

class Sampler {
public:
    // Throws Error(INVALID_ARGUMENT) for out-of-range options.
    explicit Sampler(const SamplerOptions &options);

    // logits are not modified. Remembers the token for the repetition penalty.
    int32_t sample(const float *logits, int32_t n_vocab);
    void accept(int32_t token);
    void reset();

private:
    struct Candidate {
        int32_t id;
        float logit;
        float p;
    };
    uint64_t next_random();
    double uniform01();
    void apply_penalty(std::vector<Candidate> &c) const;

    SamplerOptions opt_;
    uint64_t state_;
    std::deque<int32_t> recent_;
    std::vector<Candidate> candidates_;  // reused across calls: no allocation per token
};

}  // namespace llmrt
