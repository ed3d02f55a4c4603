// Contexts and samplers.
#include <optional>
#include <chrono>
#include <nlohmann/json.hpp>

#include "api/handles.h"
#include "core/log.h"

using llmrt::guarded;
using llmrt::require_arg;

namespace {

// ordered_json: keys in the order the header documents them.
nlohmann::ordered_json phase_json(const llmrt::PhaseTotals &phase) {
    nlohmann::ordered_json ops = nlohmann::ordered_json::array();
    for (size_t i = 0; i < llmrt::kProfileOpCount; ++i) {
        const llmrt::OpTotals &op = phase.ops[i];
        if (op.calls == 0) continue;  // an op this architecture or phase does not run
        ops.push_back({{"op", llmrt::profile_op_name(static_cast<llmrt::ProfileOp>(i))},
                       {"calls", op.calls},
                       {"seconds", op.seconds},
                       {"bytes", op.bytes / op.calls}});
    }
    return {{"steps", phase.steps},
            {"tokens", phase.tokens},
            {"seconds", phase.seconds},
            {"ops", std::move(ops)},
            {"barrier_wait_seconds", phase.barrier_wait_seconds},
            {"pool_runs", phase.pool_runs}};
}

std::optional<llmrt::KvType> kv_type_from(int32_t kv_type) {
    switch (kv_type) {
    case LLMRT_KV_F32: return llmrt::KvType::F32;
    case LLMRT_KV_F16: return llmrt::KvType::F16;
    case LLMRT_KV_BF16: return llmrt::KvType::BF16;
    case LLMRT_KV_INT8: return llmrt::KvType::Int8;
    default: return std::nullopt;
    }
}

llmrt::KvType kv_type_of(int32_t kv_type) {
    const auto type = kv_type_from(kv_type);
    if (!type)
        llmrt::fail(llmrt::Status::InvalidArgument,
                    "kv_type " + std::to_string(kv_type) + " is not LLMRT_KV_F32, _F16, _BF16 or _Q8");
    return *type;
}

}  // namespace

static_assert(llmrt::kMaxSequences == LLMRT_MAX_SEQUENCES, "one limit, two spellings");

extern "C" {

const char *llmrt_kv_type_name(int32_t kv_type) {
    const auto type = kv_type_from(kv_type);
    return type ? llmrt::kv_type_name(*type) : nullptr;
}

void llmrt_context_params_init_sized(llmrt_context_params *given, uint32_t struct_size) {
    llmrt_context_params defaults{};
    llmrt_context_params *params = &defaults;
    params->struct_size = sizeof(llmrt_context_params);
    params->n_ctx = 0;
    params->n_batch = 512;
    params->n_threads = 0;
    params->logits_all = 0;
    params->kv_type = LLMRT_KV_F32;
    params->n_seq_max = 1;
    llmrt::write_params(given, struct_size, defaults);
}

llmrt_status llmrt_context_create(llmrt_model *model, const llmrt_context_params *params, llmrt_context **out) {
    return guarded([&] {
        require_arg(out != nullptr, "out is NULL");
        *out = nullptr;
        require_arg(model != nullptr, "model is NULL");
        const llmrt_context_params p = llmrt::read_params(params, llmrt_context_params_init_sized);
        require_arg(p.n_ctx >= 0 && p.n_batch >= 0, "n_ctx and n_batch must be >= 0");
        llmrt::require_thread_count(p.n_threads);
        llmrt::ContextOptions opt;
        opt.n_ctx = p.n_ctx;
        opt.n_batch = p.n_batch;
        opt.n_threads = p.n_threads;
        opt.logits_all = p.logits_all != 0;
        opt.kv_type = kv_type_of(p.kv_type);
        opt.n_seq_max = p.n_seq_max;  // the context checks the range
        auto ctx = std::make_unique<llmrt_context>();
        ctx->impl = std::make_unique<llmrt::Context>(*model->impl, opt);
        ctx->model = llmrt::retain(model);
        *out = ctx.release();
    });
}

void llmrt_context_free(llmrt_context *ctx) {
    if (!ctx) return;
    // From a callback of a running call: stop that call; the context goes when it returns.
    if (ctx->busy.load(std::memory_order_acquire)) ctx->impl->cancel();
    llmrt::release(ctx);
}

int32_t llmrt_context_n_ctx(const llmrt_context *ctx) { return ctx ? static_cast<int32_t>(ctx->impl->n_ctx()) : 0; }
int32_t llmrt_context_n_past(const llmrt_context *ctx) { return ctx ? static_cast<int32_t>(ctx->impl->n_past()) : 0; }

llmrt_status llmrt_decode(llmrt_context *ctx, const llmrt_token *tokens, int32_t n_tokens) {
    return guarded([&] {
        require_arg(ctx && tokens && n_tokens > 0, "ctx and tokens must not be NULL and n_tokens > 0");
        llmrt::ContextCall call(ctx, true);
        ctx->impl->decode(tokens, n_tokens);
    });
}

llmrt_status llmrt_decode_multi(llmrt_context *ctx, const llmrt_token *tokens, const int32_t *seq_ids,
                                int32_t n_tokens) {
    return guarded([&] {
        require_arg(ctx && tokens && seq_ids && n_tokens > 0,
                    "ctx, tokens and seq_ids must not be NULL and n_tokens > 0");
        llmrt::ContextCall call(ctx, true);
        ctx->impl->decode_multi(tokens, seq_ids, n_tokens);
    });
}

llmrt_status llmrt_decode_multi_select(llmrt_context *ctx, const llmrt_token *tokens, const int32_t *seq_ids,
                                       const int8_t *want_logits, int32_t n_tokens) {
    return guarded([&] {
        require_arg(ctx && tokens && seq_ids && n_tokens > 0,
                    "ctx, tokens and seq_ids must not be NULL and n_tokens > 0");
        llmrt::ContextCall call(ctx, true);
        ctx->impl->decode_multi(tokens, seq_ids, n_tokens, want_logits);
    });
}

int32_t llmrt_context_n_seq_max(const llmrt_context *ctx) {
    return ctx ? static_cast<int32_t>(ctx->impl->n_seq_max()) : 0;
}

int32_t llmrt_seq_n_past(const llmrt_context *ctx, int32_t seq) {
    if (!ctx || seq < 0 || seq >= ctx->impl->n_seq_max()) return -1;
    return static_cast<int32_t>(ctx->impl->seq_n_past(seq));
}

llmrt_status llmrt_seq_remove(llmrt_context *ctx, int32_t seq) {
    return guarded([&] {
        require_arg(ctx != nullptr, "ctx is NULL");
        llmrt::ContextCall call(ctx, false);
        ctx->impl->seq_remove(seq);
    });
}

llmrt_status llmrt_seq_copy(llmrt_context *ctx, int32_t src, int32_t dst) {
    return guarded([&] {
        require_arg(ctx != nullptr, "ctx is NULL");
        llmrt::ContextCall call(ctx, false);
        ctx->impl->seq_copy(src, dst);
    });
}

llmrt_status llmrt_seq_truncate(llmrt_context *ctx, int32_t seq, int32_t n) {
    return guarded([&] {
        require_arg(ctx != nullptr, "ctx is NULL");
        llmrt::ContextCall call(ctx, false);
        ctx->impl->seq_truncate(seq, n);
    });
}

llmrt_status llmrt_score_continuation(llmrt_context *ctx, const llmrt_token *context_tokens, int32_t n,
                                      const llmrt_token *continuation_tokens, int32_t m, double *logprob,
                                      int32_t *is_greedy) {
    return guarded([&] {
        require_arg(logprob != nullptr && is_greedy != nullptr, "logprob and is_greedy must not be NULL");
        *logprob = 0.0;
        *is_greedy = 0;
        require_arg(ctx != nullptr, "ctx is NULL");
        require_arg(context_tokens != nullptr && n > 0, "context_tokens must not be NULL and n > 0");
        require_arg(continuation_tokens != nullptr && m > 0, "continuation_tokens must not be NULL and m > 0");
        llmrt::ContextCall call(ctx, true);
        llmrt::end_generation(ctx);
        bool greedy = false;
        ctx->impl->score_continuation(context_tokens, n, continuation_tokens, m, logprob, &greedy);
        *is_greedy = greedy ? 1 : 0;
    });
}

llmrt_status llmrt_context_shift(llmrt_context *ctx, int32_t n_keep, int32_t n_discard, int32_t mode) {
    return guarded([&] {
        require_arg(ctx != nullptr, "ctx is NULL");
        llmrt::ContextCall call(ctx, true);
        const llmrt::ShiftMode shift_mode = llmrt::shift_mode_of(mode);
        require_arg(n_keep >= 0 && n_discard >= -1, "n_keep must be >= 0 and n_discard >= 1 (or -1 for the default)");
        const int64_t n_past = ctx->impl->n_past();
        const int64_t discard = n_discard == -1 ? (n_past - n_keep) / 2 : n_discard;
        ctx->impl->shift(n_keep, discard, shift_mode);
    });
}

const float *llmrt_get_logits(const llmrt_context *ctx) { return ctx ? ctx->impl->last_logits() : nullptr; }

const float *llmrt_get_logits_ith(const llmrt_context *ctx, int32_t i) { return ctx ? ctx->impl->logits(i) : nullptr; }

void llmrt_context_reset(llmrt_context *ctx) {
    if (!ctx) return;
    const llmrt_status status = guarded([&] {
        llmrt::ContextCall call(ctx, false);
        llmrt::end_generation(ctx);
        ctx->impl->reset();
    });
    // The signature has no status to return: say it where the caller can see it.
    if (status != LLMRT_OK) llmrt::log_warn(std::string("llmrt_context_reset ignored: ") + llmrt_last_error());
}

void llmrt_context_cancel(llmrt_context *ctx) {
    if (ctx) ctx->impl->cancel();
}

llmrt_status llmrt_context_set_profiling(llmrt_context *ctx, int32_t enabled) {
    return guarded([&] {
        require_arg(ctx != nullptr, "ctx is NULL");
        llmrt::ContextCall call(ctx, false);
        ctx->impl->set_profiling(enabled != 0);
    });
}

llmrt_status llmrt_context_profile_json(llmrt_context *ctx, const char **out_json) {
    return guarded([&] {
        require_arg(out_json != nullptr, "out_json is NULL");
        *out_json = nullptr;
        require_arg(ctx != nullptr, "ctx is NULL");
        const llmrt::Profiler *profiler = ctx->impl->profiler();
        require_arg(profiler != nullptr, "profiling is not enabled on this context (llmrt_context_set_profiling)");
        const nlohmann::ordered_json profile = {{"decode", phase_json(profiler->decode())},
                                                {"prefill", phase_json(profiler->prefill())}};
        ctx->profile_json = profile.dump();
        *out_json = ctx->profile_json.c_str();
    });
}

void llmrt_sampler_params_init_sized(llmrt_sampler_params *given, uint32_t struct_size) {
    llmrt_sampler_params defaults{};
    llmrt_sampler_params *params = &defaults;
    params->struct_size = sizeof(llmrt_sampler_params);
    params->temperature = 0.8f;
    params->top_k = 40;
    params->top_p = 0.95f;
    params->min_p = 0.05f;
    params->repetition_penalty = 1.0f;
    params->repetition_last_n = 64;
    params->seed = LLMRT_DEFAULT_SEED;
    params->presence_penalty = 0.0f;
    params->frequency_penalty = 0.0f;
    params->no_repeat_ngram_size = 0;
    params->logit_bias = nullptr;
    params->n_logit_bias = 0;
    llmrt::write_params(given, struct_size, defaults);
}

llmrt_status llmrt_sampler_create(const llmrt_sampler_params *params, llmrt_sampler **out) {
    return guarded([&] {
        require_arg(out != nullptr, "out is NULL");
        *out = nullptr;
        const llmrt_sampler_params p = llmrt::read_params(params, llmrt_sampler_params_init_sized);
        llmrt::SamplerOptions opt;
        opt.temperature = p.temperature;
        opt.top_k = p.top_k;
        opt.top_p = p.top_p;
        opt.min_p = p.min_p;
        opt.repetition_penalty = p.repetition_penalty;
        opt.repetition_last_n = p.repetition_last_n;
        opt.presence_penalty = p.presence_penalty;
        opt.frequency_penalty = p.frequency_penalty;
        opt.no_repeat_ngram_size = p.no_repeat_ngram_size;
        require_arg(p.n_logit_bias >= 0 && (p.logit_bias || p.n_logit_bias == 0), "invalid logit_bias");
        for (int32_t i = 0; i < p.n_logit_bias; ++i) opt.logit_bias.emplace_back(p.logit_bias[i].token, p.logit_bias[i].bias);
        opt.seed = p.seed != LLMRT_DEFAULT_SEED
                       ? p.seed
                       : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
        auto s = std::make_unique<llmrt_sampler>();
        s->impl = std::make_unique<llmrt::Sampler>(opt);
        *out = s.release();
    });
}

void llmrt_sampler_free(llmrt_sampler *sampler) { llmrt::release(sampler); }

llmrt_status llmrt_sampler_sample(llmrt_sampler *sampler, const float *logits, int32_t n_vocab, llmrt_token *out) {
    return guarded([&] {
        require_arg(sampler && logits && out && n_vocab > 0, "invalid arguments");
        *out = sampler->impl->sample(logits, n_vocab);
    });
}

void llmrt_sampler_reset(llmrt_sampler *sampler) {
    if (sampler) sampler->impl->reset();
}

llmrt_status llmrt_sampler_accept_prompt(llmrt_sampler *sampler, const llmrt_token *tokens, int32_t n) {
    return guarded([&] {
        require_arg(sampler && n >= 0 && (tokens || n == 0), "invalid arguments");
        sampler->impl->accept_prompt(tokens, static_cast<size_t>(n));
    });
}

}  // extern "C"
