#include "runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"

namespace llmrt {

Sampler::Sampler(const SamplerOptions &options) : opt_(options), state_(options.seed) {
    require(std::isfinite(opt_.temperature) && opt_.temperature >= 0.0f, Status::InvalidArgument,
            "temperature must be >= 0");
    require(opt_.top_k >= 0, Status::InvalidArgument, "top_k must be >= 0");
    require(opt_.top_p > 0.0f && opt_.top_p <= 1.0f, Status::InvalidArgument, "top_p must be in (0, 1]");
    require(opt_.min_p >= 0.0f && opt_.min_p <= 1.0f, Status::InvalidArgument, "min_p must be in [0, 1]");
    require(std::isfinite(opt_.repetition_penalty) && opt_.repetition_penalty > 0.0f,
            Status::InvalidArgument, "repetition_penalty must be > 0");
    require(opt_.repetition_last_n >= 0, Status::InvalidArgument, "repetition_last_n must be >= 0");
    require(std::isfinite(opt_.presence_penalty), Status::InvalidArgument, "presence_penalty must be finite");
    require(std::isfinite(opt_.frequency_penalty), Status::InvalidArgument, "frequency_penalty must be finite");
    require(opt_.no_repeat_ngram_size >= 0, Status::InvalidArgument, "no_repeat_ngram_size must be >= 0");
    for (const auto &[id, bias] : opt_.logit_bias) {
        require(id >= 0, Status::InvalidArgument, "logit_bias token " + std::to_string(id) + " is negative");
        // -inf bans; NaN or +inf would make every pick meaningless.
        require(!std::isnan(bias) && bias != INFINITY, Status::InvalidArgument,
                "logit_bias of token " + std::to_string(id) + " must be a number or -inf");
    }
}

// xorshift64*-style generator on a splitmix64 sequence: the same numbers on every platform
// and compiler, so every language binding draws the same tokens for the same seed.
uint64_t Sampler::next_random() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double Sampler::uniform01() { return static_cast<double>(next_random() >> 11) * (1.0 / 9007199254740992.0); }

void Sampler::apply_logit_bias(std::vector<Candidate> &c) const {
    for (const auto &[id, bias] : opt_.logit_bias) c[static_cast<size_t>(id)].logit += bias;
}

void Sampler::apply_penalties(std::vector<Candidate> &c) {
    const bool repetition = opt_.repetition_penalty != 1.0f;
    if (!repetition && opt_.presence_penalty == 0.0f && opt_.frequency_penalty == 0.0f) return;
    // Sorted, equal ids are adjacent: each distinct token is penalised once, with its count.
    counted_.assign(recent_.begin(), recent_.end());
    std::sort(counted_.begin(), counted_.end());
    for (size_t i = 0; i < counted_.size();) {
        size_t end = i;
        while (end < counted_.size() && counted_[end] == counted_[i]) ++end;
        float &l = c[static_cast<size_t>(counted_[i])].logit;
        // As in CTRL / HF: shrink positive logits, push negative ones further down.
        if (repetition) l = l > 0.0f ? l / opt_.repetition_penalty : l * opt_.repetition_penalty;
        // Then OpenAI's, in llama.cpp's order.
        l -= opt_.presence_penalty + opt_.frequency_penalty * static_cast<float>(end - i);
        i = end;
    }
}

// HF's NoRepeatNGramLogitsProcessor: the last n-1 tokens, wherever they occurred before, were
// followed by some token; that token would repeat an n-gram, so it is banned.
void Sampler::apply_ngram_ban(std::vector<Candidate> &c) const {
    const size_t n = static_cast<size_t>(opt_.no_repeat_ngram_size);
    const size_t len = sequence_.size();
    if (n == 0 || len + 1 < n) return;
    const int32_t *prefix = sequence_.data() + (len - (n - 1));
    for (size_t start = 0; start + n <= len; ++start) {
        if (!std::equal(prefix, prefix + (n - 1), sequence_.data() + start)) continue;
        const int32_t banned = sequence_[start + n - 1];
        if (banned < 0 || static_cast<size_t>(banned) >= c.size())  // the message is built only on failure
            fail(Status::InvalidArgument, "a remembered token (" + std::to_string(banned) + ") is outside this vocabulary");
        c[static_cast<size_t>(banned)].logit = -INFINITY;
    }
}

void Sampler::check_vocab(int32_t n_vocab) const {
    for (const auto &entry : opt_.logit_bias)
        if (entry.first >= n_vocab)  // runs per token: the message is built only on failure
            fail(Status::InvalidArgument, "logit_bias token " + std::to_string(entry.first) +
                                              " is outside the vocabulary (" + std::to_string(n_vocab) + " tokens)");
}

namespace {

// NaN or +inf (a model that overflowed, corrupt weights) would make any pick arbitrary, and
// all -inf leaves nothing to pick: refuse rather than return a token that means nothing.
void check_logits(const float *logits, int32_t n_vocab) {
    bool any_finite = false;
    for (int32_t i = 0; i < n_vocab; ++i) {
        const float v = logits[i];
        require(!std::isnan(v), Status::InvalidArgument,
                "logit of token " + std::to_string(i) + " is NaN (the model's numbers overflowed or are corrupt)");
        require(v != INFINITY, Status::InvalidArgument,
                "logit of token " + std::to_string(i) + " is +inf (the model's numbers overflowed or are corrupt)");
        any_finite = any_finite || v != -INFINITY;
    }
    require(any_finite, Status::InvalidArgument, "every logit is -inf: no token can be sampled");
}

}  // namespace

int32_t Sampler::sample(const float *logits, int32_t n_vocab) {
    require(logits != nullptr && n_vocab > 0, Status::InvalidArgument, "sample needs logits");
    check_logits(logits, n_vocab);
    candidates_.resize(static_cast<size_t>(n_vocab));
    for (int32_t i = 0; i < n_vocab; ++i) candidates_[static_cast<size_t>(i)] = {i, logits[i], 0.0f};
    for (int32_t id : recent_)
        require(id < n_vocab, Status::InvalidArgument, "a remembered token is outside this vocabulary");
    check_vocab(n_vocab);
    apply_logit_bias(candidates_);
    apply_penalties(candidates_);
    apply_ngram_ban(candidates_);
    require(std::any_of(candidates_.begin(), candidates_.end(), [](const Candidate &c) { return c.logit != -INFINITY; }),
            Status::InvalidArgument, "logit_bias and no_repeat_ngram_size ban every token: none can be sampled");

    auto by_logit = [](const Candidate &a, const Candidate &b) {
        return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
    };
    int32_t chosen;
    if (opt_.temperature == 0.0f) {
        chosen = std::min_element(candidates_.begin(), candidates_.end(), by_logit)->id;
    } else {
        size_t n = candidates_.size();
        if (opt_.top_k > 0 && static_cast<size_t>(opt_.top_k) < n) n = static_cast<size_t>(opt_.top_k);
        std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(n),
                          candidates_.end(), by_logit);
        // Filters look at the untempered distribution, as llama.cpp's default chain does.
        const float max_logit = candidates_[0].logit;
        double sum = 0.0;
        for (size_t i = 0; i < n; ++i) sum += (candidates_[i].p = std::exp(candidates_[i].logit - max_logit));
        double cumulative = 0.0;
        size_t keep = 0;
        const float min_keep = static_cast<float>(opt_.min_p * candidates_[0].p);
        while (keep < n) {
            // Banned (-inf) tokens must never be kept: the pick below falls back on the last kept one.
            if (keep > 0 && (cumulative >= opt_.top_p * sum || candidates_[keep].p < min_keep ||
                             candidates_[keep].logit == -INFINITY)) break;
            cumulative += candidates_[keep].p;
            ++keep;
        }
        double total = 0.0;
        for (size_t i = 0; i < keep; ++i)
            total += (candidates_[i].p = std::exp((candidates_[i].logit - max_logit) / opt_.temperature));
        double r = uniform01() * total;
        chosen = candidates_[keep - 1].id;
        for (size_t i = 0; i < keep; ++i) {
            r -= candidates_[i].p;
            if (r < 0.0) {
                chosen = candidates_[i].id;
                break;
            }
        }
    }
    accept(chosen);
    return chosen;
}

void Sampler::accept(int32_t token) {
    if (opt_.no_repeat_ngram_size > 0) sequence_.push_back(token);
    if (opt_.repetition_last_n == 0) return;
    recent_.push_back(token);
    if (recent_.size() > static_cast<size_t>(opt_.repetition_last_n)) recent_.pop_front();
}

void Sampler::accept_prompt(const int32_t *tokens, size_t n) {
    if (opt_.no_repeat_ngram_size > 0) sequence_.insert(sequence_.end(), tokens, tokens + n);
}

void Sampler::reset() {
    recent_.clear();
    sequence_.clear();
    state_ = opt_.seed;
}

}  // namespace llmrt
