// Generation: the handle (llmrt_generation_*), the callback form built on it, and the deprecated
// pull form whose handle the context owns.
#include "api/generation_api.h"
#include "core/log.h"

#include <type_traits>

using llmrt::guarded;
using llmrt::require_arg;

static_assert(static_cast<int32_t>(llmrt::StopReason::None) == LLMRT_STOP_NONE &&
                  static_cast<int32_t>(llmrt::StopReason::Length) == LLMRT_STOP_LENGTH &&
                  static_cast<int32_t>(llmrt::StopReason::Eos) == LLMRT_STOP_EOS &&
                  static_cast<int32_t>(llmrt::StopReason::StopString) == LLMRT_STOP_STRING &&
                  static_cast<int32_t>(llmrt::StopReason::ContextFull) == LLMRT_STOP_CONTEXT_FULL &&
                  static_cast<int32_t>(llmrt::StopReason::Cancelled) == LLMRT_STOP_CANCELLED &&
                  static_cast<int32_t>(llmrt::StopReason::Callback) == LLMRT_STOP_CALLBACK &&
                  llmrt::kStopReasonCount == LLMRT_STOP_CALLBACK + 1,
              "LLMRT_STOP_* follow llmrt::StopReason");

namespace {

llmrt::GenerateOptions to_options(const llmrt_generate_params &p) {
    require_arg(p.n_stop_strings >= 0 && (p.stop_strings || p.n_stop_strings == 0), "invalid stop strings");
    llmrt::GenerateOptions opt;
    opt.max_new_tokens = p.max_new_tokens;
    opt.min_new_tokens = p.min_new_tokens;
    opt.stop_at_eos = p.stop_at_eos != 0;
    opt.add_special = p.add_special != 0;
    for (int32_t i = 0; i < p.n_stop_strings; ++i) {
        require_arg(p.stop_strings[i] != nullptr, "a stop string is NULL");
        opt.stop_strings.emplace_back(p.stop_strings[i]);
    }
    opt.shift_mode = llmrt::shift_mode_of(p.shift_mode);
    opt.n_keep = p.n_keep;
    opt.n_discard = p.n_discard;
    if (p.stop_callback) {
        // The ids are int32_t inside and llmrt_token outside: the same type, so no copy.
        static_assert(std::is_same<llmrt_token, int32_t>::value, "llmrt_token must be int32_t");
        opt.stop_callback = [callback = p.stop_callback, user_data = p.stop_user_data](const int32_t *ids,
                                                                                      int64_t n) {
            return callback(ids, static_cast<int32_t>(n), user_data) != 0;
        };
    }
    return opt;
}

// Runs one call's body on a generation; a cancel becomes its stop reason.
template <class F>
void recording_cancel(llmrt::StopReason *stop_reason, F &&body) {
    try {
        body();
    } catch (const llmrt::Error &e) {
        if (e.status() == llmrt::Status::Cancelled) *stop_reason = llmrt::StopReason::Cancelled;
        throw;
    }
}

// A chat session's answer joins its conversation once, when it ends or its handle goes.
void finish_chat_answer(llmrt_generation *gen) {
    llmrt_chat_session *session = gen->session;
    if (!session || session->answer != gen) return;
    session->answer = nullptr;
    session->impl->add_answer(gen->text);
}

// llmrt_generation_next's body, shared with the deprecated llmrt_generate_next.
llmrt_status next_into(llmrt_generation *gen, const char **piece, size_t *len, llmrt_token *token) {
    llmrt::GeneratedPiece out;
    const bool more = llmrt::next_piece(gen, out);
    gen->piece = std::move(out.text);
    *piece = gen->piece.c_str();
    *len = gen->piece.size();
    if (token) *token = out.token;
    return more ? LLMRT_OK : LLMRT_END_OF_GENERATION;
}

std::unique_ptr<llmrt::Generation> from_prompt(llmrt_context *ctx, llmrt_sampler *sampler, const char *prompt,
                                               const llmrt_generate_params *params) {
    return std::make_unique<llmrt::Generation>(*ctx->impl, *sampler->impl, prompt, llmrt::generate_options(params));
}

// The deprecated pull form's handle, if any, is freed.
void drop_legacy(llmrt_context *ctx) {
    llmrt_generation *legacy = ctx->legacy_generation;
    ctx->legacy_generation = nullptr;
    delete legacy;  // clears ctx->generation when it is this one
}

}  // namespace

namespace llmrt {

GenerateOptions generate_options(const llmrt_generate_params *params) {
    return to_options(read_params(params, llmrt_generate_params_init_sized));
}

void end_generation(llmrt_context *ctx) {
    if (llmrt_generation *gen = ctx->generation) {
        ctx->generation = nullptr;
        gen->impl.reset();
    }
    drop_legacy(ctx);
}

std::unique_ptr<llmrt_generation> start_generation(llmrt_context *ctx, llmrt_sampler *sampler, bool owned_by_context,
                                                   const std::function<std::unique_ptr<Generation>()> &make) {
    if (ctx->generation && ctx->generation != ctx->legacy_generation)
        fail(Status::Busy, "a generation is running on this context: run it to its end or llmrt_generation_free it first");
    drop_legacy(ctx);
    // A cancel pending from before the call applies to it (header: Cancel).
    if (ctx->impl->cancel_requested()) fail(Status::Cancelled, "generation was cancelled");
    auto gen = std::make_unique<llmrt_generation>();
    gen->owned_by_context = owned_by_context;
    gen->ctx = owned_by_context ? ctx : retain(ctx);
    gen->sampler = retain(sampler);
    recording_cancel(&gen->stop_reason, [&] { gen->impl = make(); });
    ctx->generation = gen.get();
    return gen;
}

bool next_piece(llmrt_generation *gen, GeneratedPiece &out) {
    if (gen->finished) return false;
    require_arg(gen->impl != nullptr,
                "this generation was ended by llmrt_context_reset or llmrt_score_continuation on its context");
    bool more = false;
    recording_cancel(&gen->stop_reason, [&] { more = gen->impl->next(out); });
    if (!more) {
        gen->finished = true;
        gen->stop_reason = gen->impl->stop_reason();
        // A generation at its end no longer uses the context: another may start.
        if (gen->ctx->generation == gen) gen->ctx->generation = nullptr;
        finish_chat_answer(gen);
        return false;
    }
    gen->stop_reason = StopReason::None;  // running again after a cancel
    gen->text += out.text;
    return true;
}

void run_with_callback(llmrt_generation *gen, llmrt_token_callback callback, void *user_data) {
    GeneratedPiece out;
    while (next_piece(gen, out)) {
        if (callback && (!out.text.empty() || out.token >= 0) &&
            callback(out.text.data(), out.text.size(), out.token, user_data) != 0) {
            gen->stop_reason = StopReason::Cancelled;
            fail(Status::Cancelled, "generation was cancelled by the callback");
        }
    }
}

}  // namespace llmrt

llmrt_generation::~llmrt_generation() {
    impl.reset();
    if (ctx && ctx->generation == this) ctx->generation = nullptr;
    try {
        finish_chat_answer(this);
    } catch (const std::exception &e) {
        llmrt::log_warn(std::string("a chat answer could not be added to its session: ") + e.what());
    }
    llmrt::release(session);
    llmrt::release(sampler);
    if (!owned_by_context) llmrt::release(ctx);
}

extern "C" {

void llmrt_generate_params_init_sized(llmrt_generate_params *given, uint32_t struct_size) {
    llmrt_generate_params defaults{};
    llmrt_generate_params *params = &defaults;
    params->struct_size = sizeof(llmrt_generate_params);
    params->max_new_tokens = 128;
    params->min_new_tokens = 0;
    params->stop_at_eos = 1;
    params->add_special = 1;
    params->stop_strings = nullptr;
    params->n_stop_strings = 0;
    params->stop_callback = nullptr;
    params->stop_user_data = nullptr;
    // StreamingLLM's defaults are the runtime's (GenerateOptions), kept there only.
    const llmrt::GenerateOptions runtime_defaults;
    params->shift_mode = LLMRT_SHIFT_OFF;
    params->n_keep = static_cast<int32_t>(runtime_defaults.n_keep);
    params->n_discard = static_cast<int32_t>(runtime_defaults.n_discard);
    llmrt::write_params(given, struct_size, defaults);
}

llmrt_status llmrt_generation_create(llmrt_context *ctx, llmrt_sampler *sampler, const char *prompt,
                                     const llmrt_generate_params *params, llmrt_generation **out) {
    return guarded([&] {
        require_arg(out != nullptr, "out must not be NULL");
        *out = nullptr;
        require_arg(ctx && sampler && prompt, "ctx, sampler and prompt must not be NULL");
        llmrt::ContextCall call(ctx, true);
        *out = llmrt::start_generation(ctx, sampler, false, [&] { return from_prompt(ctx, sampler, prompt, params); })
                   .release();
    });
}

llmrt_status llmrt_generation_next(llmrt_generation *gen, const char **piece, size_t *len, llmrt_token *token) {
    llmrt_status status = LLMRT_OK;
    const llmrt_status guard_status = guarded([&] {
        require_arg(gen && piece && len, "gen, piece and len must not be NULL");
        llmrt::ContextCall call(gen->ctx, true);
        status = next_into(gen, piece, len, token);
    });
    return guard_status != LLMRT_OK ? guard_status : status;
}

int32_t llmrt_generation_stop_code(const llmrt_generation *gen) {
    return static_cast<int32_t>(gen ? gen->stop_reason : llmrt::StopReason::None);
}

const char *llmrt_generation_stop_reason(const llmrt_generation *gen) {
    return llmrt::stop_reason_name(gen ? gen->stop_reason : llmrt::StopReason::None);
}

int32_t llmrt_generation_n_generated(const llmrt_generation *gen) {
    return gen && gen->impl ? static_cast<int32_t>(gen->impl->generated().size()) : 0;
}

void llmrt_generation_free(llmrt_generation *gen) {
    if (!gen) return;
    if (gen->owned_by_context) {
        llmrt::log_warn("llmrt_generation_free ignored: the handle belongs to its context");
        return;
    }
    delete gen;
}

llmrt_status llmrt_generate_begin(llmrt_context *ctx, llmrt_sampler *sampler, const char *prompt,
                                  const llmrt_generate_params *params) {
    return guarded([&] {
        require_arg(ctx && sampler && prompt, "ctx, sampler and prompt must not be NULL");
        llmrt::ContextCall call(ctx, true);
        ctx->stop_reason = llmrt::StopReason::None;
        recording_cancel(&ctx->stop_reason, [&] {
            ctx->legacy_generation =
                llmrt::start_generation(ctx, sampler, true, [&] { return from_prompt(ctx, sampler, prompt, params); })
                    .release();
        });
    });
}

llmrt_status llmrt_generate_next(llmrt_context *ctx, const char **piece, size_t *len, llmrt_token *token) {
    llmrt_status status = LLMRT_OK;
    const llmrt_status guard_status = guarded([&] {
        require_arg(ctx && piece && len, "ctx, piece and len must not be NULL");
        llmrt::ContextCall call(ctx, true);
        llmrt_generation *gen = ctx->legacy_generation;
        require_arg(gen != nullptr, "no generation in progress (call llmrt_generate_begin)");
        recording_cancel(&ctx->stop_reason, [&] { status = next_into(gen, piece, len, token); });
        if (status == LLMRT_END_OF_GENERATION) ctx->stop_reason = gen->stop_reason;
    });
    return guard_status != LLMRT_OK ? guard_status : status;
}

void llmrt_generate_end(llmrt_context *ctx) {
    if (!ctx) return;
    const llmrt_status status = guarded([&] {
        llmrt::ContextCall call(ctx, false);
        drop_legacy(ctx);
    });
    if (status != LLMRT_OK) llmrt::log_warn(std::string("llmrt_generate_end ignored: ") + llmrt_last_error());
}

int32_t llmrt_generate_stop_code(const llmrt_context *ctx) {
    return static_cast<int32_t>(ctx ? ctx->stop_reason : llmrt::StopReason::None);
}

const char *llmrt_generate_stop_reason(const llmrt_context *ctx) {
    return llmrt::stop_reason_name(ctx ? ctx->stop_reason : llmrt::StopReason::None);
}

const char *llmrt_stop_reason_name(int32_t reason) {
    if (reason < 0 || reason >= llmrt::kStopReasonCount) return nullptr;
    return llmrt::stop_reason_name(static_cast<llmrt::StopReason>(reason));
}

llmrt_status llmrt_generate(llmrt_context *ctx, llmrt_sampler *sampler, const char *prompt,
                            const llmrt_generate_params *params, llmrt_token_callback callback, void *user_data) {
    return guarded([&] {
        require_arg(ctx && sampler && prompt, "ctx, sampler and prompt must not be NULL");
        // ctx may be freed by the callback: it is touched only while the call holds it.
        llmrt::ContextCall call(ctx, true);
        ctx->stop_reason = llmrt::StopReason::None;
        recording_cancel(&ctx->stop_reason, [&] {
            // The handle must not outlive this call, whatever happens.
            const std::unique_ptr<llmrt_generation> gen =
                llmrt::start_generation(ctx, sampler, false, [&] { return from_prompt(ctx, sampler, prompt, params); });
            llmrt::run_with_callback(gen.get(), callback, user_data);
            ctx->stop_reason = gen->stop_reason;
        });
    });
}

}  // extern "C"
