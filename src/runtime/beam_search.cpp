#include "runtime/beam_search.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "core/error.h"

namespace llmrt {
namespace {

struct Beam {
    int64_t slot = 0;               // the context sequence holding its cache
    double score = 0.0;             // summed log-probabilities of its tokens
    std::vector<int32_t> tokens;    // generated so far
};

struct Candidate {
    double score;  // the beam's score plus the token's log-probability
    int64_t beam;  // index into the live beams
    int32_t token;
};

// The order of torch.topk over (beam, token) made deterministic: higher score, then lower beam,
// then lower token id.
bool ranks_before(const Candidate &a, const Candidate &b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.beam != b.beam) return a.beam < b.beam;
    return a.token < b.token;
}

// ln softmax(row), in double.
void log_softmax(const float *row, int64_t n_vocab, std::vector<double> &out) {
    out.resize(static_cast<size_t>(n_vocab));
    const float max_logit = *std::max_element(row, row + n_vocab);
    double sum = 0.0;
    for (int64_t v = 0; v < n_vocab; ++v) sum += std::exp(static_cast<double>(row[v]) - max_logit);
    const double log_sum = std::log(sum);
    for (int64_t v = 0; v < n_vocab; ++v) out[static_cast<size_t>(v)] = static_cast<double>(row[v]) - max_logit - log_sum;
}

// The k best continuations over all live beams; rows[b] are beam b's next-token logits. Only a
// beam's own k best tokens can be among them, so each beam contributes those.
std::vector<Candidate> top_candidates(const std::vector<Beam> &beams, const std::vector<const float *> &rows,
                                      int64_t n_vocab, int64_t k) {
    std::vector<Candidate> all;
    std::vector<double> lp;
    std::vector<int32_t> ids(static_cast<size_t>(n_vocab));
    const int64_t per_beam = std::min(k, n_vocab);
    for (size_t b = 0; b < beams.size(); ++b) {
        log_softmax(rows[b], n_vocab, lp);
        std::iota(ids.begin(), ids.end(), 0);
        std::partial_sort(ids.begin(), ids.begin() + per_beam, ids.end(), [&](int32_t x, int32_t y) {
            return lp[static_cast<size_t>(x)] > lp[static_cast<size_t>(y)] ||
                   (lp[static_cast<size_t>(x)] == lp[static_cast<size_t>(y)] && x < y);
        });
        for (int64_t i = 0; i < per_beam; ++i) {
            const int32_t id = ids[static_cast<size_t>(i)];
            all.push_back({beams[b].score + lp[static_cast<size_t>(id)], static_cast<int64_t>(b), id});
        }
    }
    std::sort(all.begin(), all.end(), ranks_before);
    if (static_cast<int64_t>(all.size()) > k) all.resize(static_cast<size_t>(k));
    return all;
}

// Adds a finished hypothesis, keeping the num_beams best (HF merges the finished list with the
// step's new ones and keeps its top num_beams; the stable sort keeps earlier ones first on ties).
void offer(std::vector<BeamHypothesis> &finished, BeamHypothesis hyp, int64_t num_beams) {
    finished.push_back(std::move(hyp));
    std::stable_sort(finished.begin(), finished.end(),
                     [](const BeamHypothesis &a, const BeamHypothesis &b) { return a.score > b.score; });
    if (static_cast<int64_t>(finished.size()) > num_beams) finished.resize(static_cast<size_t>(num_beams));
}

// HF's _check_early_stop_heuristic: can the best running beam still beat the worst finished one?
bool can_improve(const std::vector<BeamHypothesis> &finished, double best_running, int64_t generated,
                 const BeamOptions &opt) {
    if (static_cast<int64_t>(finished.size()) < opt.num_beams) return true;
    const int64_t length =
        opt.early_stopping == EarlyStopping::Never && opt.length_penalty > 0.0 ? opt.max_new_tokens : generated;
    const double best_possible = best_running / std::pow(static_cast<double>(length), opt.length_penalty);
    return best_possible > finished.back().score;
}

std::vector<int32_t> end_of_sequence_ids(const Context &ctx, const BeamOptions &opt) {
    if (!opt.stop_at_eos) return {};
    if (opt.eos_token >= 0) return {opt.eos_token};
    return ctx.model().tokenizer->end_of_generation_ids();
}

void check_options(const Context &ctx, int64_t n, const BeamOptions &opt) {
    require(n >= 1, Status::InvalidArgument, "beam search needs a prompt of at least one token");
    require(opt.num_beams >= 1, Status::InvalidArgument, "num_beams must be >= 1");
    require(opt.num_return_sequences >= 1 && opt.num_return_sequences <= opt.num_beams, Status::InvalidArgument,
            "num_return_sequences must be in [1, num_beams]");
    require(opt.max_new_tokens >= 1, Status::InvalidArgument, "max_new_tokens must be >= 1");
    require(std::isfinite(opt.length_penalty), Status::InvalidArgument, "length_penalty must be finite");
    require(opt.eos_token >= -1 && opt.eos_token < ctx.model().hparams().n_vocab, Status::InvalidArgument,
            "eos_token_id " + std::to_string(opt.eos_token) + " is neither -1 nor in the vocabulary");
    require(ctx.n_seq_max() >= opt.num_beams, Status::InvalidArgument,
            "beam search with " + std::to_string(opt.num_beams) + " beams needs a context with n_seq_max >= " +
                std::to_string(opt.num_beams) + " (it has " + std::to_string(ctx.n_seq_max()) + ")");
    require(n + opt.max_new_tokens <= ctx.n_ctx(), Status::ContextFull,
            "the prompt (" + std::to_string(n) + " tokens) and max_new_tokens (" + std::to_string(opt.max_new_tokens) +
                ") do not fit in the context of " + std::to_string(ctx.n_ctx()));
}

// Puts the new beams into context sequences: a beam whose parent is the first child to claim its
// parent's sequence continues in it, uncopied; the others take the sequences of parents that had
// no children, as copies of their parent's. Sources are only claimed sequences and targets only
// unclaimed ones, so no copy reads a sequence another copy wrote. Every sequence starts with the
// prompt's n positions, which are therefore never copied again.
std::vector<int64_t> place_beams(Context &ctx, const std::vector<Beam> &beams, const std::vector<Candidate> &next,
                                 int64_t num_slots, int64_t n_prompt) {
    std::vector<int64_t> slot(next.size(), -1);
    std::vector<bool> claimed(static_cast<size_t>(num_slots), false);
    for (size_t i = 0; i < next.size(); ++i) {
        const int64_t parent = beams[static_cast<size_t>(next[i].beam)].slot;
        if (claimed[static_cast<size_t>(parent)]) continue;
        claimed[static_cast<size_t>(parent)] = true;
        slot[i] = parent;
    }
    int64_t free_slot = 0;
    for (size_t i = 0; i < next.size(); ++i) {
        if (slot[i] >= 0) continue;
        while (claimed[static_cast<size_t>(free_slot)]) ++free_slot;
        claimed[static_cast<size_t>(free_slot)] = true;
        slot[i] = free_slot;
        ctx.seq_copy(beams[static_cast<size_t>(next[i].beam)].slot, free_slot, n_prompt);
    }
    return slot;
}

}  // namespace

std::vector<BeamHypothesis> beam_search(Context &ctx, const int32_t *prompt, int64_t n, const BeamOptions &opt) {
    check_options(ctx, n, opt);
    const std::vector<int32_t> eos = end_of_sequence_ids(ctx, opt);
    const int64_t n_vocab = ctx.model().hparams().n_vocab;
    const int64_t k = std::max<int64_t>(2, 1 + static_cast<int64_t>(eos.size())) * opt.num_beams;
    for (int64_t s = 0; s < ctx.n_seq_max(); ++s) ctx.seq_remove(s);
    ctx.decode(prompt, n);  // sequence 0, once
    for (int64_t s = 1; s < opt.num_beams; ++s) ctx.seq_copy(0, s);

    std::vector<Beam> beams(1);  // HF starts with one live beam (the others at -1e9)
    std::vector<const float *> rows{ctx.last_logits()};
    std::vector<BeamHypothesis> finished;
    std::vector<int32_t> step_tokens, step_seqs;
    for (int64_t generated = 1; generated <= opt.max_new_tokens; ++generated) {
        const std::vector<Candidate> candidates = top_candidates(beams, rows, n_vocab, k);
        std::vector<Candidate> next;
        for (size_t rank = 0; rank < candidates.size(); ++rank) {
            const Candidate &c = candidates[rank];
            const bool ends = generated == opt.max_new_tokens || std::find(eos.begin(), eos.end(), c.token) != eos.end();
            if (!ends) {
                if (static_cast<int64_t>(next.size()) < opt.num_beams) next.push_back(c);
                continue;
            }
            if (static_cast<int64_t>(rank) >= opt.num_beams) continue;  // HF's top_num_beam_mask
            BeamHypothesis hyp;
            hyp.tokens = beams[static_cast<size_t>(c.beam)].tokens;
            hyp.tokens.push_back(c.token);
            hyp.score = c.score / std::pow(static_cast<double>(generated), opt.length_penalty);
            offer(finished, std::move(hyp), opt.num_beams);
        }
        if (next.empty()) break;
        const bool all_finished = static_cast<int64_t>(finished.size()) == opt.num_beams;
        if (opt.early_stopping == EarlyStopping::Done && all_finished) break;
        if (!can_improve(finished, next.front().score, generated, opt)) break;

        const std::vector<int64_t> slots = place_beams(ctx, beams, next, opt.num_beams, n);
        std::vector<Beam> continued(next.size());
        step_tokens.clear();
        step_seqs.clear();
        for (size_t i = 0; i < next.size(); ++i) {
            continued[i].slot = slots[i];
            continued[i].score = next[i].score;
            continued[i].tokens = beams[static_cast<size_t>(next[i].beam)].tokens;
            continued[i].tokens.push_back(next[i].token);
            step_tokens.push_back(next[i].token);
            step_seqs.push_back(static_cast<int32_t>(slots[i]));
        }
        beams = std::move(continued);
        ctx.decode_multi(step_tokens.data(), step_seqs.data(), static_cast<int64_t>(step_tokens.size()));
        rows.resize(beams.size());
        for (size_t i = 0; i < beams.size(); ++i) rows[i] = ctx.logits(static_cast<int64_t>(i));
    }
    if (static_cast<int64_t>(finished.size()) > opt.num_return_sequences)
        finished.resize(static_cast<size_t>(opt.num_return_sequences));
    return finished;
}

}  // namespace llmrt
