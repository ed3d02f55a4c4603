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

void Sampler::apply_penalty(std::vector<Candidate> &c) const {
    if (opt_.repetition_penalty == 1.0f) return;
    for (int32_t id : recent_) {
        Candidate &cand = c[static_cast<size_t>(id)];
        if (cand.p != 0.0f) continue;  // each distinct token is penalised once
        cand.p = 1.0f;
        float &l = cand.logit;
        // As in CTRL / HF: shrink positive logits, push negative ones further down.
        l = l > 0.0f ? l / opt_.repetition_penalty : l * opt_.repetition_penalty;
    }
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
    apply_penalty(candidates_);

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
            if (keep > 0 && (cumulative >= opt_.top_p * sum || candidates_[keep].p < min_keep)) break;
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
    if (opt_.repetition_last_n == 0) return;
    recent_.push_back(token);
    if (recent_.size() > static_cast<size_t>(opt_.repetition_last_n)) recent_.pop_front();
}

void Sampler::reset() {
    recent_.clear();
    state_ = opt_.seed;
}

}  // namespace llmrt
