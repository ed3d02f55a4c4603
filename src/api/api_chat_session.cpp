// Chat sessions: a conversation on one context whose KV cache is kept across turns
// (src/runtime/chat_session.h); the answers are generation handles (src/api/api_generate.cpp).
#include "api/chat_api.h"
#include "api/generation_api.h"
#include "tokenizer/chat_template_source.h"

using llmrt::guarded;
using llmrt::require_arg;

namespace {

// A call on the session, which may not change it while its pull-form answer is being produced.
void require_not_answering(const llmrt_chat_session *session) {
    if (session->answer)
        llmrt::fail(llmrt::Status::Busy, "the session's answer is still being produced: free its generation first");
}

// Renders, fits and syncs the cache, then starts the answer's generation on what is left to evaluate.
std::unique_ptr<llmrt_generation> start_answer(llmrt_chat_session *session, const llmrt_generate_params *params) {
    require_not_answering(session);
    llmrt::GenerateOptions options = llmrt::generate_options(params);
    for (const std::string &stop : session->impl->stop_strings()) options.stop_strings.push_back(stop);
    llmrt_context *ctx = session->ctx;
    llmrt_sampler *sampler = session->sampler;
    std::unique_ptr<llmrt_generation> gen = llmrt::start_generation(ctx, sampler, false, [&] {
        const std::vector<int32_t> ids = session->impl->prepare_answer(options.max_new_tokens);
        return std::make_unique<llmrt::Generation>(*ctx->impl, *sampler->impl, ids, options);
    });
    gen->session = llmrt::retain(session);
    session->answer = gen.get();
    return gen;
}

}  // namespace

llmrt_chat_session::~llmrt_chat_session() {
    impl.reset();  // it refers to the context
    llmrt::release(sampler);
    llmrt::release(ctx);
}

extern "C" {

void llmrt_chat_session_params_init_sized(llmrt_chat_session_params *given, uint32_t struct_size) {
    llmrt_chat_session_params defaults{};
    defaults.struct_size = sizeof(llmrt_chat_session_params);
    defaults.chat_template = nullptr;
    defaults.system_prompt = nullptr;
    llmrt::write_params(given, struct_size, defaults);
}

llmrt_status llmrt_chat_session_create(llmrt_context *ctx, llmrt_sampler *sampler,
                                       const llmrt_chat_session_params *params, llmrt_chat_session **out) {
    return guarded([&] {
        require_arg(out != nullptr, "out must not be NULL");
        *out = nullptr;
        require_arg(ctx && sampler, "ctx and sampler must not be NULL");
        const auto p = llmrt::read_params(params, llmrt_chat_session_params_init_sized);
        llmrt::ContextCall call(ctx, false);
        if (ctx->generation && ctx->generation != ctx->legacy_generation)
            llmrt::fail(llmrt::Status::Busy, "a generation is running on this context: run it to its end or llmrt_generation_free it first");
        llmrt::end_generation(ctx);
        // An empty template: the model has none, and the session uses its plain transcript.
        std::string tmpl = p.chat_template ? std::string(p.chat_template)
                                           : llmrt::chat_template_of(ctx->model->impl->checkpoint, "default");
        require_arg(!p.chat_template || !tmpl.empty(), "params.chat_template is empty (NULL: the model's)");
        auto session = std::make_unique<llmrt_chat_session>();
        session->ctx = llmrt::retain(ctx);
        session->sampler = llmrt::retain(sampler);
        session->impl = std::make_unique<llmrt::ChatSession>(*ctx->impl, std::move(tmpl),
                                                             p.system_prompt ? p.system_prompt : "",
                                                             llmrt::default_chat_template_options(ctx->model));
        *out = session.release();
    });
}

void llmrt_chat_session_free(llmrt_chat_session *session) { llmrt::release(session); }

llmrt_status llmrt_chat_session_add_message(llmrt_chat_session *session, const char *role, const char *content) {
    return guarded([&] {
        require_arg(session && role && content, "session, role and content must not be NULL");
        require_not_answering(session);
        session->impl->add_message(role, content);
    });
}

llmrt_status llmrt_chat_session_respond(llmrt_chat_session *session, const llmrt_generate_params *params,
                                        llmrt_token_callback callback, void *user_data) {
    return guarded([&] {
        require_arg(session != nullptr, "session must not be NULL");
        llmrt::ContextCall call(session->ctx, true);
        // The answer joins the conversation when the handle goes, also after a cancel.
        const std::unique_ptr<llmrt_generation> gen = start_answer(session, params);
        llmrt::run_with_callback(gen.get(), callback, user_data);
    });
}

llmrt_status llmrt_chat_session_respond_begin(llmrt_chat_session *session, const llmrt_generate_params *params,
                                              llmrt_generation **out) {
    return guarded([&] {
        require_arg(out != nullptr, "out must not be NULL");
        *out = nullptr;
        require_arg(session != nullptr, "session must not be NULL");
        llmrt::ContextCall call(session->ctx, true);
        *out = start_answer(session, params).release();
    });
}

llmrt_status llmrt_chat_session_pop_message(llmrt_chat_session *session) {
    return guarded([&] {
        require_arg(session != nullptr, "session must not be NULL");
        require_not_answering(session);
        session->impl->pop_message();
    });
}

llmrt_status llmrt_chat_session_reset(llmrt_chat_session *session) {
    return guarded([&] {
        require_arg(session != nullptr, "session must not be NULL");
        require_not_answering(session);
        llmrt::ContextCall call(session->ctx, false);
        session->impl->reset();
    });
}

llmrt_status llmrt_chat_session_truncate(llmrt_chat_session *session, int32_t n_oldest_turns) {
    return guarded([&] {
        require_arg(session != nullptr, "session must not be NULL");
        require_not_answering(session);
        session->impl->truncate(n_oldest_turns);
    });
}

int32_t llmrt_chat_session_n_messages(const llmrt_chat_session *session) {
    return session ? static_cast<int32_t>(session->impl->messages().size()) : 0;
}

llmrt_status llmrt_chat_session_message(const llmrt_chat_session *session, int32_t i, const char **role,
                                        const char **content) {
    return guarded([&] {
        require_arg(session && role && content, "session, role and content must not be NULL");
        const auto &messages = session->impl->messages();
        require_arg(i >= 0 && static_cast<size_t>(i) < messages.size(), "message index out of range");
        *role = messages[static_cast<size_t>(i)].role.c_str();
        *content = messages[static_cast<size_t>(i)].content.c_str();
    });
}

int32_t llmrt_chat_session_n_evaluated(const llmrt_chat_session *session) {
    return session ? static_cast<int32_t>(session->impl->n_evaluated()) : 0;
}

const char *llmrt_chat_session_prompt(const llmrt_chat_session *session) {
    return session ? session->impl->last_prompt().c_str() : "";
}

int32_t llmrt_chat_session_n_reused(const llmrt_chat_session *session) {
    return session ? static_cast<int32_t>(session->impl->n_reused()) : 0;
}

int32_t llmrt_chat_session_n_dropped(const llmrt_chat_session *session) {
    return session ? static_cast<int32_t>(session->impl->n_dropped()) : 0;
}

}  // extern "C"
