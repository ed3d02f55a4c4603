// Turns logits into a token: logit bias, repetition / presence / frequency penalties, the n-gram
// ban, then top-k, top-p, min-p, temperature and a draw from a seeded generator (or argmax when
// temperature is 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
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
    // OpenAI semantics over the penalty window (the last repetition_last_n picked tokens).
    float presence_penalty = 0.0f;
    float frequency_penalty = 0.0f;
    // Hugging Face semantics over the whole sequence (prompts fed by accept_prompt + picks).
    int32_t no_repeat_ngram_size = 0;
    std::vector<std::pair<int32_t, float>> logit_bias;  // (token, bias); -inf bans
};

class Sampler {
public:
    // Throws Error(INVALID_ARGUMENT) for out-of-range options.
    explicit Sampler(const SamplerOptions &options);

    // logits are not modified. Remembers the token for the penalties and the n-gram ban.
    int32_t sample(const float *logits, int32_t n_vocab);
    void accept(int32_t token);
    // Tokens already in the sequence that the sampler did not pick (a prompt): the n-gram ban
    // must see them, the penalty window does not (it holds picked tokens only).
    void accept_prompt(const int32_t *tokens, size_t n);
    // Throws Error(INVALID_ARGUMENT) naming a logit_bias id outside [0, n_vocab).
    void check_vocab(int32_t n_vocab) const;
    void reset();

private:
    struct Candidate {
        int32_t id;
        float logit;
        float p;
    };
    uint64_t next_random();
    double uniform01();
    void apply_logit_bias(std::vector<Candidate> &c) const;
    void apply_penalties(std::vector<Candidate> &c);
    void apply_ngram_ban(std::vector<Candidate> &c) const;

    SamplerOptions opt_;
    uint64_t state_;
    std::deque<int32_t> recent_;      // the penalty window
    std::vector<int32_t> sequence_;   // for the n-gram ban; kept only when it is on
    std::vector<int32_t> counted_;    // reused: recent_ sorted, to count each token
    std::vector<Candidate> candidates_;  // reused across calls: no allocation per token
};

}  // namespace llmrt
