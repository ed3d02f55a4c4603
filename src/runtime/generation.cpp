#include "runtime/generation.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/log.h"

namespace llmrt {

const char *stop_reason_name(StopReason reason) {
    switch (reason) {
        case StopReason::None: return "";
        case StopReason::Length: return "length";
        case StopReason::Eos: return "eos";
        case StopReason::StopString: return "stop_string";
        case StopReason::ContextFull: return "context_full";
        case StopReason::Cancelled: return "cancelled";
        case StopReason::Callback: return "callback";
    }
    return nullptr;
}

Generation::Generation(Context &ctx, Sampler &sampler, const std::string &prompt, const GenerateOptions &options)
    : ctx_(ctx), sampler_(sampler), opt_(options), stream_(options.stop_strings) {
    start(ctx.model().tokenizer->encode(prompt, opt_.add_special));
}

Generation::Generation(Context &ctx, Sampler &sampler, const std::vector<int32_t> &ids, const GenerateOptions &options)
    : ctx_(ctx), sampler_(sampler), opt_(options), stream_(options.stop_strings) {
    start(ids);
}

void Generation::start(std::vector<int32_t> ids) {
    require(opt_.max_new_tokens >= 0, Status::InvalidArgument, "max_new_tokens must be >= 0");
    require(opt_.min_new_tokens >= 0, Status::InvalidArgument, "min_new_tokens must be >= 0");
    const Tokenizer &tok = *ctx_.model().tokenizer;
    eog_ids_ = tok.end_of_generation_ids();
    if (ids.empty()) {
        // Nothing to condition on: start from BOS, as an empty prompt means "from the beginning".
        require(tok.bos() >= 0, Status::InvalidArgument, "the prompt is empty and the model has no BOS token");
        ids.push_back(tok.bos());
    }
    require(ctx_.n_past() + static_cast<int64_t>(ids.size()) <= ctx_.n_ctx(), Status::ContextFull,
            "the prompt has " + std::to_string(ids.size()) + " tokens but the context holds " +
                std::to_string(ctx_.n_ctx() - ctx_.n_past()) + " more (n_ctx " + std::to_string(ctx_.n_ctx()) + ")");
    if (opt_.shift_mode != ShiftMode::Off) resolve_shift(ctx_.n_past() + static_cast<int64_t>(ids.size()));
    sampler_.check_vocab(static_cast<int32_t>(ctx_.model().hparams().n_vocab));  // before the costly decode
    ctx_.decode(ids.data(), static_cast<int64_t>(ids.size()));
    sampler_.accept_prompt(ids.data(), ids.size());
    masked_logits_.resize(static_cast<size_t>(ctx_.model().hparams().n_vocab));
}

// n_keep and n_discard with their defaults, checked before the prompt is evaluated, so a bad
// setting fails at once rather than when the window fills.
void Generation::resolve_shift(int64_t n_past_after_prompt) {
    const int64_t n_ctx = ctx_.n_ctx();
    require(opt_.n_keep >= -1 && opt_.n_discard >= -1, Status::InvalidArgument,
            "n_keep and n_discard must be >= 0, or -1 for their defaults");
    n_keep_ = opt_.n_keep == -1 ? n_past_after_prompt : opt_.n_keep;
    require(n_keep_ < n_ctx, Status::InvalidArgument,
            "n_keep " + std::to_string(n_keep_) + " leaves nothing to discard in a window of " + std::to_string(n_ctx));
    n_discard_ = opt_.n_discard == -1 ? (n_ctx - n_keep_) / 2 : opt_.n_discard;
    require(n_discard_ >= 1 && n_keep_ + n_discard_ <= n_ctx, Status::InvalidArgument,
            "n_discard " + std::to_string(n_discard_) + " must be at least 1 and at most n_ctx - n_keep (" +
                std::to_string(n_ctx - n_keep_) + ")");
    ctx_.check_shift_supported(opt_.shift_mode);
}

// A full window drops positions (StreamingLLM) when that is on; off, the caller stops.
void Generation::make_room() {
    if (opt_.shift_mode == ShiftMode::Off || ctx_.n_past() < ctx_.n_ctx()) return;
    ctx_.shift(n_keep_, n_discard_, opt_.shift_mode);
    log_debug("generation: dropped " + std::to_string(n_discard_) + " positions after the first " +
              std::to_string(n_keep_));
}

bool Generation::is_end_of_generation(int32_t token) const {
    return std::find(eog_ids_.begin(), eog_ids_.end(), token) != eog_ids_.end();
}

// min_new_tokens is a floor for the caller's own stop too, not only for end-of-sequence.
bool Generation::callback_stops() const {
    return opt_.stop_callback && n_generated_ >= opt_.min_new_tokens &&
           opt_.stop_callback(generated_.data(), static_cast<int64_t>(generated_.size()));
}

bool Generation::next(GeneratedPiece &out) {
    out.text.clear();
    out.token = -1;
    if (finished_) {
        // The text held back for a possible stop string goes out once, at the very end.
        if (flushed_) return false;
        flushed_ = true;
        out.text = stream_.flush();
        return !out.text.empty();
    }
    if (ctx_.cancel_requested()) fail(Status::Cancelled, "generation was cancelled");
    if (n_generated_ >= opt_.max_new_tokens) {
        finished_ = true;
        stop_reason_ = StopReason::Length;
        return next(out);
    }
    if (ctx_.n_past() >= ctx_.n_ctx() && opt_.shift_mode == ShiftMode::Off) {
        finished_ = true;
        stop_reason_ = StopReason::ContextFull;
        log_info("generation stopped: the context is full");
        return next(out);
    }
    const int32_t n_vocab = static_cast<int32_t>(ctx_.model().hparams().n_vocab);
    const float *logits = ctx_.last_logits();
    if (n_generated_ < opt_.min_new_tokens && !eog_ids_.empty()) {
        std::copy(logits, logits + n_vocab, masked_logits_.begin());
        for (int32_t id : eog_ids_)
            if (id >= 0 && id < n_vocab) masked_logits_[static_cast<size_t>(id)] = -INFINITY;
        logits = masked_logits_.data();
    }
    const int32_t token = sampler_.sample(logits, n_vocab);
    ++n_generated_;
    generated_.push_back(token);
    out.token = token;
    if (opt_.stop_at_eos && is_end_of_generation(token)) {
        finished_ = true;
        stop_reason_ = StopReason::Eos;
        out.text = stream_.flush();
        flushed_ = true;
        return true;
    }
    out.text = stream_.push(ctx_.model().tokenizer->piece(token));
    if (stream_.stopped()) {
        finished_ = true;
        flushed_ = true;
        stop_reason_ = StopReason::StopString;
        return true;
    }
    if (callback_stops()) {
        // The token is part of the output: its text and anything held back go out now.
        finished_ = true;
        flushed_ = true;
        stop_reason_ = StopReason::Callback;
        out.text += stream_.flush();
        return true;
    }
    // Evaluate the new token now, so the next call starts from its logits.
    make_room();
    if (ctx_.n_past() < ctx_.n_ctx()) ctx_.decode(&token, 1);
    return true;
}

}  // namespace llmrt
