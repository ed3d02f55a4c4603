// Beam search with the semantics of Hugging Face's generate (transformers' vectorised
// _beam_search, 4.50 on). The beams are sequences of one context: the prompt is evaluated once
// and copied to every beam, each step decodes all live beams in one batched forward pass, and a
// beam's cache is copied only where its parent beam changed.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/context.h"

namespace llmrt {

// HF's early_stopping: True, False (its default) and "never".
enum class EarlyStopping { Heuristic, Done, Never };

struct BeamOptions {
    int64_t num_beams = 4;
    int64_t num_return_sequences = 1;
    int64_t max_new_tokens = 128;
    double length_penalty = 1.0;
    EarlyStopping early_stopping = EarlyStopping::Heuristic;
    bool stop_at_eos = true;  // the end-of-sequence id(s) end a hypothesis
    int32_t eos_token = -1;   // >= 0: this id is the end of sequence, not the tokenizer's ids
};

struct BeamHypothesis {
    std::vector<int32_t> tokens;  // generated ids, the end-of-generation id included when it ended one
    double score = 0.0;           // sum of log-probabilities / (tokens.size() ^ length_penalty)
};

// Runs the search from prompt (n ids, n >= 1) on ctx, which it empties first and which needs
// n_seq_max >= num_beams and n + max_new_tokens <= n_ctx. Returns the num_return_sequences best
// finished hypotheses, best first. Throws INVALID_ARGUMENT, CONTEXT_FULL, CANCELLED.
//
// The rules, as HF's: each step takes the top max(2, 1 + n_eos) * num_beams (beam, token) pairs by
// summed log-probability (ties: lower beam, then lower token id); among the first num_beams of
// them, those that end (an end-of-generation id, or the max_new_tokens-th token) are offered to
// the finished list (num_beams best kept) with score sum / (generated length, the last token
// included) ^ length_penalty; the best num_beams that do not end continue. The search stops when
// no candidate continues, when early_stopping is Done and num_beams hypotheses are finished, or
// (Heuristic, Never) when num_beams are finished and the best running beam's sum divided by
// (tokens generated so far; with Never and length_penalty > 0 by max_new_tokens) ^ length_penalty
// is no better than the worst finished score.
std::vector<BeamHypothesis> beam_search(Context &ctx, const int32_t *prompt, int64_t n, const BeamOptions &options);

}  // namespace llmrt
