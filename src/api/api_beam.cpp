// Beam search.
#include <vector>

#include "api/handles.h"
#include "runtime/beam_search.h"

using llmrt::guarded;
using llmrt::require_arg;

struct llmrt_beam_results {
    std::vector<llmrt::BeamHypothesis> hypotheses;
};

namespace {

// The C constants are the runtime's enum values, so the defaults below can be the runtime's.
static_assert(static_cast<int>(llmrt::EarlyStopping::Heuristic) == LLMRT_EARLY_STOPPING_FALSE &&
                  static_cast<int>(llmrt::EarlyStopping::Done) == LLMRT_EARLY_STOPPING_TRUE &&
                  static_cast<int>(llmrt::EarlyStopping::Never) == LLMRT_EARLY_STOPPING_NEVER,
              "LLMRT_EARLY_STOPPING_* follow llmrt::EarlyStopping");

llmrt::EarlyStopping early_stopping_of(int32_t value) {
    switch (value) {
    case LLMRT_EARLY_STOPPING_FALSE: return llmrt::EarlyStopping::Heuristic;
    case LLMRT_EARLY_STOPPING_TRUE: return llmrt::EarlyStopping::Done;
    case LLMRT_EARLY_STOPPING_NEVER: return llmrt::EarlyStopping::Never;
    default:
        llmrt::fail(llmrt::Status::InvalidArgument,
                    "early_stopping " + std::to_string(value) +
                        " is not LLMRT_EARLY_STOPPING_FALSE, _TRUE or _NEVER");
    }
}

// The search on ids the caller owns, its results written to *out.
void run_search(llmrt_context *ctx, const int32_t *prompt, int64_t n, const llmrt_beam_params *params,
                llmrt_beam_results **out) {
    const llmrt_beam_params p = llmrt::read_params(params, llmrt_beam_params_init_sized);
    llmrt::BeamOptions opt;
    opt.num_beams = p.num_beams;
    opt.num_return_sequences = p.num_return_sequences;
    opt.max_new_tokens = p.max_new_tokens;
    opt.length_penalty = p.length_penalty;
    opt.early_stopping = early_stopping_of(p.early_stopping);
    opt.stop_at_eos = p.stop_at_eos != 0;
    opt.eos_token = p.eos_token_id;
    llmrt::ContextCall call(ctx, true);
    llmrt::end_generation(ctx);  // the search replaces sequence 0 too
    auto results = std::make_unique<llmrt_beam_results>();
    results->hypotheses = llmrt::beam_search(*ctx->impl, prompt, n, opt);
    *out = results.release();
}

}  // namespace

extern "C" {

void llmrt_beam_params_init_sized(llmrt_beam_params *given, uint32_t struct_size) {
    llmrt_beam_params defaults{};
    defaults.struct_size = sizeof(llmrt_beam_params);
    // The defaults are the runtime's (BeamOptions), kept there only.
    const llmrt::BeamOptions runtime_defaults;
    defaults.num_beams = static_cast<int32_t>(runtime_defaults.num_beams);
    defaults.num_return_sequences = static_cast<int32_t>(runtime_defaults.num_return_sequences);
    defaults.max_new_tokens = static_cast<int32_t>(runtime_defaults.max_new_tokens);
    defaults.length_penalty = static_cast<float>(runtime_defaults.length_penalty);
    defaults.early_stopping = static_cast<int32_t>(runtime_defaults.early_stopping);
    defaults.stop_at_eos = runtime_defaults.stop_at_eos ? 1 : 0;
    defaults.eos_token_id = runtime_defaults.eos_token;
    llmrt::write_params(given, struct_size, defaults);
}

llmrt_status llmrt_beam_search(llmrt_context *ctx, const llmrt_token *prompt, int32_t n_prompt,
                               const llmrt_beam_params *params, llmrt_beam_results **out) {
    return guarded([&] {
        require_arg(out != nullptr, "out is NULL");
        *out = nullptr;
        require_arg(ctx != nullptr, "ctx is NULL");
        require_arg(prompt != nullptr && n_prompt > 0, "prompt must not be NULL and n_prompt > 0");
        run_search(ctx, prompt, n_prompt, params, out);
    });
}

llmrt_status llmrt_beam_search_text(llmrt_context *ctx, const char *prompt, int32_t add_special,
                                    const llmrt_beam_params *params, llmrt_beam_results **out) {
    return guarded([&] {
        require_arg(out != nullptr, "out is NULL");
        *out = nullptr;
        require_arg(ctx != nullptr && prompt != nullptr, "ctx and prompt must not be NULL");
        const std::vector<int32_t> ids = ctx->impl->model().tokenizer->encode(prompt, add_special != 0);
        require_arg(!ids.empty(), "the prompt has no tokens");
        run_search(ctx, ids.data(), static_cast<int64_t>(ids.size()), params, out);
    });
}

int32_t llmrt_beam_results_count(const llmrt_beam_results *results) {
    return results ? static_cast<int32_t>(results->hypotheses.size()) : 0;
}

const llmrt_token *llmrt_beam_results_tokens(const llmrt_beam_results *results, int32_t i, int32_t *n_tokens) {
    if (n_tokens) *n_tokens = 0;
    if (!results || i < 0 || i >= llmrt_beam_results_count(results)) return nullptr;
    const std::vector<int32_t> &tokens = results->hypotheses[static_cast<size_t>(i)].tokens;
    if (n_tokens) *n_tokens = static_cast<int32_t>(tokens.size());
    return tokens.data();
}

double llmrt_beam_results_score(const llmrt_beam_results *results, int32_t i) {
    if (!results || i < 0 || i >= llmrt_beam_results_count(results)) return 0.0;
    return results->hypotheses[static_cast<size_t>(i)].score;
}

void llmrt_beam_results_free(llmrt_beam_results *results) { delete results; }

}  // extern "C"
