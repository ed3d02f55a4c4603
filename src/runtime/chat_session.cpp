#include "runtime/chat_session.h"

#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "runtime/chat_prompt.h"

namespace llmrt {

ChatSession::ChatSession(Context &ctx, std::string tmpl, std::string system, chat::ChatTemplateOptions options)
    : ctx_(ctx), tmpl_(std::move(tmpl)), options_(std::move(options)), has_system_(!system.empty()) {
    if (has_system_) messages_.push_back({"system", std::move(system)});
    if (tmpl_.empty()) tmpl_ = kPlainTranscriptTemplate;
    stops_ = answer_stops(tmpl_, options_);
    ctx_.reset();
}

void ChatSession::add_message(std::string role, std::string content) {
    require(!role.empty(), Status::InvalidArgument, "a message's role must not be empty");
    messages_.push_back({std::move(role), std::move(content)});
}

void ChatSession::pop_message() {
    require(messages_.size() > first_droppable(), Status::InvalidArgument,
            "no message to remove (the system message stays)");
    messages_.pop_back();
}

void ChatSession::reset() {
    messages_.resize(first_droppable());
    ctx_.reset();
}

void ChatSession::drop_oldest_turn() {
    const auto first = messages_.begin() + static_cast<std::ptrdiff_t>(first_droppable());
    // The turn's first message, then everything up to the next user message.
    auto end = first + 1;
    while (end != messages_.end() && end->role != "user") ++end;
    n_dropped_ += end - first;
    messages_.erase(first, end);
}

void ChatSession::truncate(int64_t n_turns) {
    require(n_turns >= 0, Status::InvalidArgument, "the number of turns to drop must be >= 0");
    for (int64_t i = 0; i < n_turns && messages_.size() > first_droppable(); ++i) drop_oldest_turn();
    // The cache is not touched: the next answer keeps what still agrees (at least nothing).
}

std::string ChatSession::render(const std::vector<ChatMessage> &messages, bool add_generation_prompt) const {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const ChatMessage &m : messages) list.push_back({{"role", m.role}, {"content", m.content}});
    chat::ChatTemplateOptions o = options_;
    o.add_generation_prompt = add_generation_prompt;
    return chat::render_chat_template(tmpl_, list, o);
}

std::vector<int32_t> ChatSession::tokenize(const std::string &text) const {
    return tokenize_rendered_chat(*ctx_.model().tokenizer, text);
}

// Drops the oldest turns until the prompt leaves `room` positions free; returns its tokens.
std::vector<int32_t> ChatSession::fit_window(int64_t room) {
    while (true) {
        last_prompt_ = render(messages_, true);
        std::vector<int32_t> ids = tokenize(last_prompt_);
        require(!ids.empty(), Status::InvalidArgument, "the chat template rendered the conversation as no tokens");
        const bool fits = static_cast<int64_t>(ids.size()) + room <= ctx_.n_ctx();
        // Never the system message, nor the newest message (the one to answer).
        if (fits || messages_.size() <= first_droppable() + 1) {
            require(static_cast<int64_t>(ids.size()) < ctx_.n_ctx(), Status::ContextFull,
                    "the conversation has " + std::to_string(ids.size()) + " tokens even without its older turns; "
                    "the context holds " + std::to_string(ctx_.n_ctx()));
            return ids;
        }
        drop_oldest_turn();
    }
}

std::vector<int32_t> ChatSession::prepare_answer(int64_t room) {
    require(messages_.size() > first_droppable(), Status::InvalidArgument,
            "the conversation has no message to answer (add a user message first)");
    require(messages_.back().role != "assistant", Status::InvalidArgument,
            "the conversation ends with the assistant's message: add a user message first");
    n_dropped_ = 0;
    const std::vector<int32_t> ids = fit_window(std::min(room, ctx_.n_ctx() / 2));
    if (n_dropped_ > 0) log_info("chat session: the window is full: dropped " + std::to_string(n_dropped_) +
                                 " of the oldest messages");
    // Keep what the cache holds up to the first difference; at least the last token is evaluated.
    const std::vector<int32_t> &cached = ctx_.tokens();
    const size_t limit = std::min(cached.size(), ids.size() - 1);
    size_t common = 0;
    while (common < limit && cached[common] == ids[common]) ++common;
    ctx_.truncate(static_cast<int64_t>(common));
    n_reused_ = static_cast<int64_t>(common);
    n_evaluated_ = static_cast<int64_t>(ids.size() - common);
    return std::vector<int32_t>(ids.begin() + static_cast<std::ptrdiff_t>(common), ids.end());
}

}  // namespace llmrt
