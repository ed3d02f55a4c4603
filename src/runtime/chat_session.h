// A multi-round chat on one context: the conversation as messages, rendered with a chat template
// every turn, and the KV cache kept across turns so only what a turn adds is evaluated.
#pragma once

#include <string>
#include <vector>

#include "chat/chat_template.h"
#include "runtime/context.h"

namespace llmrt {

// For models without a chat template: a plain transcript. The answer ends where the model starts
// the user's next line, hence its stop string. (Documented in llmrt.h, llmrt_chat_session.)
extern const char kPlainTranscriptTemplate[];
extern const char kPlainTranscriptStop[];

struct ChatMessage {
    std::string role;
    std::string content;
};

class ChatSession {
public:
    // tmpl empty: the plain transcript. options: the template's variables (bos_token, ...);
    // add_generation_prompt is set per rendering.
    ChatSession(Context &ctx, std::string tmpl, std::string system, chat::ChatTemplateOptions options);

    void add_message(std::string role, std::string content);
    // Removes the newest message (never the system message).
    void pop_message();
    // Forgets every message but the system message and empties the cache.
    void reset();
    // Drops the n oldest turns: a user message and what follows it up to the next one.
    void truncate(int64_t n_turns);

    // Makes room for an answer of `room` tokens (dropping the oldest turns), renders the
    // conversation with the generation prompt, keeps the cached positions that agree with its
    // tokens and returns the tokens still to evaluate (at least one: the answer is sampled from
    // the logits after the last). Throws Error (INVALID_ARGUMENT: no message to answer or the
    // template raised).
    std::vector<int32_t> prepare_answer(int64_t room);
    // Appends the answer produced after prepare_answer as the assistant's message.
    void add_answer(std::string text) { add_message("assistant", std::move(text)); }

    // Where an answer ends besides end-of-generation tokens: the template's end-of-turn text.
    const std::vector<std::string> &stop_strings() const { return stops_; }
    const std::vector<ChatMessage> &messages() const { return messages_; }
    // The text the last prepare_answer rendered.
    const std::string &last_prompt() const { return last_prompt_; }
    int64_t n_evaluated() const { return n_evaluated_; }
    int64_t n_reused() const { return n_reused_; }
    int64_t n_dropped() const { return n_dropped_; }

private:
    std::string render(const std::vector<ChatMessage> &messages, bool add_generation_prompt) const;
    std::vector<int32_t> tokenize(const std::string &text) const;
    size_t first_droppable() const { return has_system_ ? 1 : 0; }
    void drop_oldest_turn();
    std::vector<int32_t> fit_window(int64_t room);  // sets last_prompt_

    Context &ctx_;
    std::string tmpl_;
    chat::ChatTemplateOptions options_;
    bool has_system_;
    std::vector<ChatMessage> messages_;
    std::vector<std::string> stops_;
    std::string last_prompt_;
    int64_t n_evaluated_ = 0;
    int64_t n_reused_ = 0;
    int64_t n_dropped_ = 0;
};

}  // namespace llmrt
