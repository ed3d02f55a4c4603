// Generation: the pull form (begin/next/end) and the callback form built on it.
#include "api/handles.h"
#include "core/log.h"

#include <type_traits>

using llmrt::guarded;
using llmrt::require_arg;

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

// Called inside a ContextCall. A cancel pending from before the call applies to it (header: Cancel).
void begin(llmrt_context *ctx, llmrt_sampler *sampler, const char *prompt, const llmrt_generate_params *params) {
    llmrt::end_generation(ctx);
    ctx->stop_reason = "";
    const llmrt_generate_params p = llmrt::read_params(params, llmrt_generate_params_init_sized);
    if (ctx->impl->cancel_requested()) llmrt::fail(llmrt::Status::Cancelled, "generation was cancelled");
    ctx->generation = std::make_unique<llmrt::Generation>(*ctx->impl, *sampler->impl, prompt, to_options(p));
    ctx->generation_sampler = llmrt::retain(sampler);
}

// Runs one generation call's body; a cancel becomes the stop reason.
template <class F>
void recording_cancel(llmrt_context *ctx, F &&body) {
    try {
        body();
    } catch (const llmrt::Error &e) {
        if (e.status() == llmrt::Status::Cancelled) ctx->stop_reason = "cancelled";
        throw;
    }
}

}  // namespace

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

llmrt_status llmrt_generate_begin(llmrt_context *ctx, llmrt_sampler *sampler, const char *prompt,
                                  const llmrt_generate_params *params) {
    return guarded([&] {
        require_arg(ctx && sampler && prompt, "ctx, sampler and prompt must not be NULL");
        llmrt::ContextCall call(ctx, true);
        recording_cancel(ctx, [&] { begin(ctx, sampler, prompt, params); });
    });
}

llmrt_status llmrt_generate_next(llmrt_context *ctx, const char **piece, size_t *len, llmrt_token *token) {
    llmrt_status status = LLMRT_OK;
    const llmrt_status guard_status = guarded([&] {
        require_arg(ctx && piece && len, "ctx, piece and len must not be NULL");
        llmrt::ContextCall call(ctx, true);
        require_arg(ctx->generation != nullptr, "no generation in progress (call llmrt_generate_begin)");
        recording_cancel(ctx, [&] {
            llmrt::GeneratedPiece out;
            if (!ctx->generation->next(out)) {
                ctx->piece.clear();
                ctx->stop_reason = ctx->generation->stop_reason();
                status = LLMRT_END_OF_GENERATION;
            } else {
                ctx->piece = std::move(out.text);
            }
            *piece = ctx->piece.c_str();
            *len = ctx->piece.size();
            if (token) *token = out.token;
        });
    });
    return guard_status != LLMRT_OK ? guard_status : status;
}

void llmrt_generate_end(llmrt_context *ctx) {
    if (!ctx) return;
    const llmrt_status status = guarded([&] {
        llmrt::ContextCall call(ctx, false);
        llmrt::end_generation(ctx);
    });
    if (status != LLMRT_OK) llmrt::log_warn(std::string("llmrt_generate_end ignored: ") + llmrt_last_error());
}

const char *llmrt_generate_stop_reason(const llmrt_context *ctx) { return ctx ? ctx->stop_reason : ""; }

llmrt_status llmrt_generate(llmrt_context *ctx, llmrt_sampler *sampler, const char *prompt,
                            const llmrt_generate_params *params, llmrt_token_callback callback, void *user_data) {
    return guarded([&] {
        require_arg(ctx && sampler && prompt, "ctx, sampler and prompt must not be NULL");
        // ctx may be freed by the callback: it is touched only while the call holds it.
        llmrt::ContextCall call(ctx, true);
        // The generation state must not outlive this call, whatever happens.
        struct EndOnExit {
            llmrt_context *ctx;
            ~EndOnExit() { llmrt::end_generation(ctx); }
        } end_on_exit{ctx};
        recording_cancel(ctx, [&] {
            begin(ctx, sampler, prompt, params);
            llmrt::GeneratedPiece out;
            while (ctx->generation->next(out)) {
                if (callback && (!out.text.empty() || out.token >= 0) &&
                    callback(out.text.data(), out.text.size(), out.token, user_data) != 0)
                    llmrt::fail(llmrt::Status::Cancelled, "generation was cancelled by the callback");
            }
            ctx->stop_reason = ctx->generation->stop_reason();
        });
    });
}

}  // extern "C"
