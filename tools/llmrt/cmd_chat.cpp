// llmrt chat: an interactive terminal chat. The conversation is kept as messages and rendered with
// the model's chat template every turn; the KV cache is kept across turns, and only the tokens the
// new rendering adds to what the cache already holds are evaluated (multi-round chat).
#include "args.h"
#include "interrupt.h"
#include "library.h"
#include "output.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace cli {

namespace {

// For models without a chat template: a plain transcript. The answer ends where the model starts
// the user's next line, hence the stop string.
const char kFallbackTemplate[] =
    "{% for m in messages %}"
    "{% if m.role == 'system' %}{{ m.content + '\\n\\n' }}"
    "{% elif m.role == 'user' %}{{ 'User: ' + m.content + '\\n' }}"
    "{% else %}{{ 'Assistant:' + m.content + '\\n' }}{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";
const char kFallbackStop[] = "\nUser:";

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

struct Message {
    std::string role;
    std::string content;
};

// The template and the strings that end an answer besides the model's end-of-generation tokens.
struct ChatFormat {
    std::string tmpl;
    std::vector<std::string> stops;
};

std::string model_template(const llmrt_model *model) {
    size_t length = 0;
    const llmrt_status status = llmrt_model_chat_template(model, nullptr, nullptr, 0, &length);
    if (status != LLMRT_ERR_BUFFER_TOO_SMALL) {
        check(status, "cannot read the model's chat template");
        return ""; // fits in no bytes: the model has no template
    }
    std::string text(length + 1, '\0');
    check(llmrt_model_chat_template(model, nullptr, &text[0], text.size(), &length),
          "cannot read the model's chat template");
    text.resize(length);
    return text;
}

std::string render(const llmrt_model *model, const std::string &tmpl, const std::vector<Message> &messages,
                   bool add_generation_prompt) {
    std::vector<llmrt_chat_message> list;
    for (const Message &m : messages) {
        list.push_back({m.role.c_str(), m.content.c_str()});
    }
    llmrt_chat_template_params params;
    llmrt_chat_template_params_init(&params);
    params.add_generation_prompt = add_generation_prompt ? 1 : 0;
    size_t length = 0;
    llmrt_status status =
        llmrt_chat_apply_template(model, tmpl.c_str(), list.data(), list.size(), &params, nullptr, 0, &length);
    if (status != LLMRT_ERR_BUFFER_TOO_SMALL) {
        check(status, "cannot render the chat template");
    }
    std::string text(length + 1, '\0');
    check(llmrt_chat_apply_template(model, tmpl.c_str(), list.data(), list.size(), &params, &text[0], text.size(),
                                    &length),
          "cannot render the chat template");
    text.resize(length);
    return text;
}

std::string trim(const std::string &s) {
    const size_t begin = s.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) {
        return "";
    }
    return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

// The template's end-of-turn text (e.g. "<|im_end|>"): what it writes after an assistant's
// message. Besides the EOS token the library stops at, a model may write it as text.
std::vector<std::string> implied_stops(const llmrt_model *model, const std::string &tmpl) {
    const std::string marker = "\x01llmrt-answer\x01";
    try {
        const std::string text = render(model, tmpl, {{"user", "hi"}, {"assistant", marker}}, false);
        const size_t at = text.rfind(marker);
        const std::string end = at == std::string::npos ? "" : trim(text.substr(at + marker.size()));
        if (!end.empty()) {
            return {end};
        }
    } catch (const LibraryError &) {
        // A template that refuses this probe conversation still works for real ones.
    }
    return {};
}

ChatFormat chat_format(const llmrt_model *model, const ChatOptions &o) {
    ChatFormat f;
    f.tmpl = o.template_path.empty() ? model_template(model) : read_file(o.template_path);
    if (f.tmpl.empty()) {
        std::fprintf(stderr, "llmrt chat: warning: the model has no chat template; using a plain "
                             "\"User: ...\\nAssistant:\" transcript (give one with --template FILE)\n");
        f.tmpl = kFallbackTemplate;
        f.stops = {kFallbackStop};
    } else {
        f.stops = implied_stops(model, f.tmpl);
    }
    return f;
}

// The tokens a context holds, mirrored here so a new rendering can be compared with them.
class ChatSession {
public:
    ChatSession(llmrt_model *model, llmrt_context *ctx, llmrt_sampler *sampler, const ChatOptions &o,
                ChatFormat format)
        : model_(model), ctx_(ctx), sampler_(sampler), o_(o), format_(std::move(format)) {
        if (!o.system.empty()) {
            messages_.push_back({"system", o.system});
        }
    }

    void reset() {
        messages_.resize(!o_.system.empty() ? 1 : 0);
        forget_cache();
    }

    // One turn: the user's text in, the streamed answer out. On failure the conversation is as
    // it was before the turn (the cache is dropped: its state is unknown).
    void turn(const std::string &user_text) {
        messages_.push_back({"user", user_text});
        try {
            const size_t dropped = fit_window();
            const std::string prompt = render(model_, format_.tmpl, messages_, true);
            const std::vector<llmrt_token> tokens = tokenize(model_, prompt, adds_bos(prompt));
            const size_t reused = reusable_prefix(tokens);
            if (reused == 0) {
                forget_cache();
            }
            const std::string answer = generate(tokens, reused);
            messages_.push_back({"assistant", answer});
            if (o_.verbose) {
                report(prompt, tokens.size(), reused, answer, dropped);
            }
        } catch (...) {
            messages_.pop_back();
            forget_cache();
            throw;
        }
    }

private:
    // Templates that write the BOS text themselves ("{{ bos_token }}...") must not get a second
    // BOS from the tokenizer.
    bool adds_bos(const std::string &prompt) const {
        const llmrt_token bos = llmrt_model_bos(model_);
        if (bos < 0) {
            return true;
        }
        const std::string bos_text = token_piece(model_, bos);
        return bos_text.empty() || prompt.compare(0, bos_text.size(), bos_text) != 0;
    }

    void forget_cache() {
        llmrt_context_reset(ctx_);
        cached_.clear();
    }

    // The number of leading tokens of the new prompt the cache already holds: all of the cache,
    // or nothing (there is no call to drop only the cache's tail). At least one token is left to
    // evaluate, as the answer is sampled from the logits after the last one.
    size_t reusable_prefix(const std::vector<llmrt_token> &tokens) const {
        if (cached_.empty() || cached_.size() >= tokens.size()) {
            return 0;
        }
        for (size_t i = 0; i < cached_.size(); ++i) {
            if (cached_[i] != tokens[i]) {
                return 0;
            }
        }
        return cached_.size();
    }

    // Drops the oldest turns (never the system message, nor the new user message) until the
    // prompt leaves room for an answer of n_predict tokens, or half the window if that is less
    // (a long -n must not empty every conversation). Returns the messages dropped.
    size_t fit_window() {
        const size_t n_ctx = static_cast<size_t>(llmrt_context_n_ctx(ctx_));
        const size_t room = std::min(static_cast<size_t>(o_.n_predict), n_ctx / 2);
        const size_t first = !o_.system.empty() ? 1 : 0;
        size_t dropped = 0;
        while (messages_.size() > first + 1) {
            const std::string prompt = render(model_, format_.tmpl, messages_, true);
            const size_t n_prompt = tokenize(model_, prompt, adds_bos(prompt)).size();
            if (n_prompt + room <= n_ctx) {
                break;
            }
            // A whole turn goes: the user's message and the answers up to the next one, so the
            // conversation still alternates as templates expect.
            do {
                messages_.erase(messages_.begin() + static_cast<std::ptrdiff_t>(first));
                ++dropped;
            } while (messages_.size() > first + 1 && messages_[first].role != "user");
        }
        if (dropped > 0) {
            // The cache starts with the dropped turns, so it cannot be reused.
            forget_cache();
            std::fprintf(stderr, "llmrt chat: the context window is full: dropped the %zu oldest messages\n", dropped);
        }
        return dropped;
    }

    // The answer as it is produced: text is shown once it cannot be the start of a stop string.
    class AnswerStream {
    public:
        explicit AnswerStream(const std::vector<std::string> &stops) : stops_(stops) {}

        // Adds a token's bytes; returns true when a stop string has appeared (it is not shown).
        bool add(const std::string &piece) {
            pending_ += piece;
            for (const std::string &stop : stops_) {
                const size_t at = pending_.find(stop);
                if (at != std::string::npos) {
                    pending_.resize(at);
                    show(pending_.size());
                    return true;
                }
            }
            show(pending_.size() - held_back());
            return false;
        }
        void finish() { show(pending_.size()); }
        // The answer as generated (before any stop string), leading whitespace included: kept
        // so, the conversation renders to the tokens the cache holds.
        const std::string &text() const { return text_; }

    private:
        // The longest end of pending_ that begins some stop string.
        size_t held_back() const {
            size_t keep = 0;
            for (const std::string &stop : stops_) {
                for (size_t n = std::min(stop.size() - 1, pending_.size()); n > keep; --n) {
                    if (pending_.compare(pending_.size() - n, n, stop, 0, n) == 0) {
                        keep = n;
                        break;
                    }
                }
            }
            return keep;
        }
        void show(size_t n) {
            std::string text = pending_.substr(0, n);
            pending_.erase(0, n);
            text_ += text;
            if (shown_.empty()) { // an answer's leading whitespace is not shown
                const size_t begin = text.find_first_not_of(" \t\r\n");
                text = begin == std::string::npos ? "" : text.substr(begin);
            }
            shown_ += text;
            std::fwrite(text.data(), 1, text.size(), stdout);
            std::fflush(stdout); // streaming: the reader sees each piece as it comes
        }

        const std::vector<std::string> &stops_;
        std::string pending_;
        std::string text_;
        std::string shown_;
    };

    // Evaluates tokens[reused..] and streams the answer. The loop is llmrt_generate's, written
    // out over llmrt_decode: llmrt_generate takes its prompt as text, which it tokenizes again,
    // and the tail of a prompt does not tokenize alone as it does within the whole (SentencePiece
    // puts a space before it), so only token ids can extend the cache exactly.
    std::string generate(const std::vector<llmrt_token> &tokens, size_t reused) {
        CancelOnInterrupt cancel_on_ctrl_c(ctx_);
        cached_.assign(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(reused));
        AnswerStream stream(format_.stops);
        const llmrt_status status = run_answer(tokens, reused, stream);
        stream.finish();
        std::fputc('\n', stdout);
        std::fflush(stdout);
        if (status == LLMRT_CANCELLED && interrupt_requested()) {
            clear_interrupt(); // Ctrl-C stopped this answer only
            std::fprintf(stderr, "llmrt chat: answer stopped\n");
        } else {
            check(status, "generation failed");
        }
        cached_.resize(std::min(cached_.size(), static_cast<size_t>(llmrt_context_n_past(ctx_))));
        return stream.text();
    }

    // Decodes the prompt's new tokens, then samples until EOS, a stop string, n_predict tokens or
    // a full window. cached_ follows every token the context evaluates.
    llmrt_status run_answer(const std::vector<llmrt_token> &tokens, size_t reused, AnswerStream &stream) {
        std::vector<llmrt_token> batch(tokens.begin() + static_cast<std::ptrdiff_t>(reused), tokens.end());
        const int32_t n_ctx = llmrt_context_n_ctx(ctx_);
        const int32_t n_vocab = llmrt_model_n_vocab(model_);
        for (int32_t n = 0; n < o_.n_predict; ++n) {
            if (llmrt_context_n_past(ctx_) + static_cast<int64_t>(batch.size()) > n_ctx) {
                return n == 0 ? LLMRT_ERR_CONTEXT_FULL : LLMRT_OK; // an answer ends at a full window
            }
            const llmrt_status status = llmrt_decode(ctx_, batch.data(), static_cast<int32_t>(batch.size()));
            if (status != LLMRT_OK) {
                return status;
            }
            cached_.insert(cached_.end(), batch.begin(), batch.end());
            llmrt_token token = -1;
            check(llmrt_sampler_sample(sampler_, llmrt_get_logits(ctx_), n_vocab, &token), "sampling failed");
            if (token == llmrt_model_eos(model_) || stream.add(token_piece(model_, token))) {
                break;
            }
            batch.assign(1, token);
        }
        return LLMRT_OK;
    }

    void report(const std::string &prompt, size_t n_prompt, size_t reused, const std::string &answer,
                size_t dropped) const {
        json line = {{"prompt", prompt},
                     {"n_prompt_tokens", n_prompt},
                     {"n_reused", reused},
                     {"n_evaluated", n_prompt - reused},
                     {"n_dropped_messages", dropped},
                     {"answer", answer}};
        std::fprintf(stderr, "llmrt chat: %s\n", line.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    }

    llmrt_model *model_;
    llmrt_context *ctx_;
    llmrt_sampler *sampler_;
    const ChatOptions &o_;
    ChatFormat format_;
    std::vector<Message> messages_;
    std::vector<llmrt_token> cached_;
};

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
    ChatSession session(model.get(), ctx.get(), sampler.get(), o, chat_format(model.get(), o));

    std::string line;
    while (true) {
        std::fputs("> ", stdout);
        std::fflush(stdout);
        if (!std::getline(std::cin, line) || line == "/exit") {
            break;
        }
        if (line == "/reset") {
            session.reset();
            std::fputs("(conversation cleared)\n", stdout);
        } else if (!trim(line).empty()) {
            try {
                session.turn(line);
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
