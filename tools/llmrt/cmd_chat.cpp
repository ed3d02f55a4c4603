// llmrt chat: an interactive terminal chat on the library's chat session (llmrt_chat_session_*),
// which keeps the conversation, renders it with the model's chat template (or a plain transcript
// for models without one), keeps the KV cache across turns so only the new turn is evaluated, and
// drops the oldest turns when the window fills. This file only reads lines and shows answers.
#include "args.h"
#include "interrupt.h"
#include "library.h"
#include "output.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

namespace cli {

namespace {

struct ChatOptions {
    std::string model_path;
    std::string system;
    std::string template_path;
    int32_t n_predict = 256;
    int32_t n_threads = 0;
    int32_t n_ctx = 0;
    bool verbose = false;
    llmrt_sampler_params sampling{};
};

using SessionPtr = llmrt::chat_session_ptr;

std::string trim(const std::string &s) {
    const size_t begin = s.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) {
        return "";
    }
    return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

SessionPtr create_session(llmrt_model *model, llmrt_context *ctx, llmrt_sampler *sampler, const ChatOptions &o) {
    const std::string tmpl = o.template_path.empty() ? "" : read_file(o.template_path);
    if (tmpl.empty() && model_chat_template(model, nullptr).empty()) {
        std::fprintf(stderr, "llmrt chat: warning: the model has no chat template; using a plain "
                             "\"User: ...\\nAssistant:\" transcript (give one with --template FILE)\n");
    }
    llmrt_chat_session_params params;
    llmrt_chat_session_params_init(&params);
    params.chat_template = tmpl.empty() ? nullptr : tmpl.c_str();
    params.system_prompt = o.system.c_str();
    llmrt_chat_session *session = nullptr;
    check(llmrt_chat_session_create(ctx, sampler, &params, &session), "cannot start the chat");
    return SessionPtr(session);
}

// Shows an answer as it streams; its leading whitespace is not shown.
int32_t show_piece(const char *piece, size_t len, int32_t, void *user_data) {
    bool &started = *static_cast<bool *>(user_data);
    std::string text(piece, len);
    if (!started) {
        const size_t begin = text.find_first_not_of(" \t\r\n");
        text = begin == std::string::npos ? "" : text.substr(begin);
        started = !text.empty();
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);  // streaming: the reader sees each piece as it comes
    return 0;
}

void report(const llmrt_chat_session *session) {
    const int32_t n = llmrt_chat_session_n_messages(session);
    const char *role = nullptr;
    const char *answer = nullptr;
    check(llmrt_chat_session_message(session, n - 1, &role, &answer), "cannot read the answer");
    const int32_t evaluated = llmrt_chat_session_n_evaluated(session);
    const int32_t reused = llmrt_chat_session_n_reused(session);
    json line = {{"prompt", llmrt_chat_session_prompt(session)},
                 {"n_prompt_tokens", evaluated + reused},
                 {"n_reused", reused},
                 {"n_evaluated", evaluated},
                 {"n_dropped_messages", llmrt_chat_session_n_dropped(session)},
                 {"answer", answer}};
    std::fprintf(stderr, "llmrt chat: %s\n", line.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
}

// One turn: the user's text in, the streamed answer out. A turn that fails before its answer
// starts is taken back, so the conversation is as it was. Ctrl-C stops the answer only; the part
// shown is kept in the conversation.
void turn(llmrt_chat_session *session, llmrt_context *ctx, const std::string &text, const ChatOptions &o) {
    check(llmrt_chat_session_add_message(session, "user", text.c_str()), "cannot add the message");
    const int32_t n_before = llmrt_chat_session_n_messages(session);
    llmrt_generate_params params;
    llmrt_generate_params_init(&params);
    params.max_new_tokens = o.n_predict;
    bool started = false;
    llmrt_status status;
    {
        CancelOnInterrupt cancel_on_ctrl_c(ctx);
        status = llmrt_chat_session_respond(session, &params, show_piece, &started);
    }
    const bool answered = llmrt_chat_session_n_messages(session) > n_before;
    if (answered) {
        std::fputc('\n', stdout);
        std::fflush(stdout);
    }
    if (status == LLMRT_CANCELLED && interrupt_requested() && answered) {
        clear_interrupt();  // Ctrl-C stopped this answer only
        std::fprintf(stderr, "llmrt chat: answer stopped\n");
    } else if (status != LLMRT_OK) {
        if (!answered) {
            llmrt_chat_session_pop_message(session);
        }
        check(status, "generation failed");
    }
    if (o.verbose) {
        report(session);
    }
}

SamplerPtr create_sampler(const llmrt_sampler_params &params) {
    llmrt_sampler *sampler = nullptr;
    check(llmrt_sampler_create(&params, &sampler), "cannot create sampler");
    return SamplerPtr(sampler);
}

void add_sampling_flags(ArgParser &args, llmrt_sampler_params *s) {
    args.number(nullptr, "--temp", "T", "temperature; 0 = greedy", &s->temperature, 0.0, 100.0);
    args.integer(nullptr, "--top-k", "K", "top-k; 0 = off", &s->top_k, 0, 1 << 30);
    args.number(nullptr, "--top-p", "P", "top-p; 1 = off", &s->top_p, 0.0, 1.0);
    args.number(nullptr, "--min-p", "P", "min-p; 0 = off", &s->min_p, 0.0, 1.0);
    args.number(nullptr, "--repeat-penalty", "R", "repetition penalty; 1 = off", &s->repetition_penalty, 0.0, 100.0);
    args.integer(nullptr, "--repeat-last-n", "N", "tokens the repetition penalty looks at", &s->repetition_last_n, 0,
                 1 << 30);
    args.uint64(nullptr, "--seed", "S", "sampling seed; the default picks one from the clock", &s->seed);
}

} // namespace

int run_chat(int argc, char **argv) {
    ChatOptions o;
    llmrt_sampler_params_init(&o.sampling);
    ArgParser args("chat", "-m PATH [--system TEXT] [--template FILE] [-n N] [sampling options] [-t THREADS] [-c CTX]",
                   "Chats with the model: type a message, read the streamed answer. /reset starts over, /exit "
                   "or end of input quits, Ctrl-C stops the current answer.");
    args.string("-m", "--model", "PATH", "model: GGUF file, llmrt file or Hugging Face directory", &o.model_path);
    args.string(nullptr, "--system", "TEXT", "system message", &o.system);
    args.string(nullptr, "--template", "FILE", "chat template (Jinja) instead of the model's", &o.template_path);
    args.integer("-n", "--n-predict", "N", "most tokens per answer", &o.n_predict, 1, 1 << 30);
    add_sampling_flags(args, &o.sampling);
    args.integer("-t", "--threads", "N", "threads; 0 = all cores", &o.n_threads, 0, LLMRT_MAX_THREADS);
    args.integer("-c", "--ctx-size", "N", "context window; 0 = the model's (capped)", &o.n_ctx, 0, 1 << 24);
    args.flag("-v", "--verbose", "after each answer, print the rendered prompt and the prompt tokens evaluated "
              "and reused from the cache as one JSON line on stderr", &o.verbose);
    if (!args.parse(argc, argv)) {
        return 0;
    }
    args.require("--model");

    ModelPtr model = load_model(o.model_path);
    ContextOptions context_options;
    context_options.n_ctx = o.n_ctx;
    context_options.n_threads = o.n_threads;
    ContextPtr ctx = create_context(model.get(), context_options);
    SamplerPtr sampler = create_sampler(o.sampling);
    SessionPtr session = create_session(model.get(), ctx.get(), sampler.get(), o);

    std::string line;
    while (true) {
        std::fputs("> ", stdout);
        std::fflush(stdout);
        if (!std::getline(std::cin, line) || line == "/exit") {
            break;
        }
        if (line == "/reset") {
            check(llmrt_chat_session_reset(session.get()), "cannot reset the chat");
            std::fputs("(conversation cleared)\n", stdout);
        } else if (!trim(line).empty()) {
            try {
                turn(session.get(), ctx.get(), line, o);
            } catch (const LibraryError &e) {
                // A template that raises, a prompt too long for the window or Ctrl-C while the
                // prompt is evaluated ends this turn only.
                clear_interrupt();
                std::fprintf(stderr, "llmrt chat: error: %s\n", e.what());
            }
        }
    }
    std::fputc('\n', stdout);
    return 0;
}

} // namespace cli
