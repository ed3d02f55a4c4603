#include "format.h"

#include <chrono>

namespace cli::serve {

using json = nlohmann::ordered_json;

namespace {

json null_or(const std::string &s) { return s.empty() ? json(nullptr) : json(s); }

json bytes_of(const std::string &s) {
    json out = json::array();
    for (unsigned char c : s) out.push_back(c);
    return out;
}

json chat_entry(const std::string &token, float logprob) {
    return {{"token", token}, {"logprob", logprob}, {"bytes", bytes_of(token)}};
}

json base(const ResponseMeta &m, const char *object) {
    return {{"id", m.id}, {"object", object}, {"created", m.created}, {"model", m.model}};
}

}  // namespace

ResponseMeta make_meta(bool chat, const std::string &model, uint64_t number) {
    ResponseMeta m;
    m.chat = chat;
    m.id = std::string(chat ? "chatcmpl-" : "cmpl-") + std::to_string(number);
    m.created = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
    m.model = model;
    return m;
}

json usage_json(int32_t n_prompt, int32_t n_completion) {
    return {{"prompt_tokens", n_prompt}, {"completion_tokens", n_completion}, {"total_tokens", n_prompt + n_completion}};
}

json logprobs_json(bool chat, const std::vector<TokenLogprob> &tokens, size_t text_offset) {
    if (chat) {
        json content = json::array();
        for (const TokenLogprob &t : tokens) {
            json entry = chat_entry(t.token, t.logprob);
            entry["top_logprobs"] = json::array();
            for (const auto &[token, logprob] : t.top) entry["top_logprobs"].push_back(chat_entry(token, logprob));
            content.push_back(std::move(entry));
        }
        return {{"content", std::move(content)}};
    }
    json out = {{"tokens", json::array()}, {"token_logprobs", json::array()}, {"top_logprobs", json::array()},
                {"text_offset", json::array()}};
    for (const TokenLogprob &t : tokens) {
        out["tokens"].push_back(t.token);
        out["token_logprobs"].push_back(t.logprob);
        json top = json::object();
        for (const auto &[token, logprob] : t.top) top[token] = logprob;
        out["top_logprobs"].push_back(std::move(top));
        out["text_offset"].push_back(text_offset);
        text_offset += t.token.size();
    }
    return out;
}

json completion_json(const ResponseMeta &m, const std::vector<Choice> &choices, int32_t n_prompt,
                     int32_t n_completion) {
    json out = base(m, m.chat ? "chat.completion" : "text_completion");
    out["choices"] = json::array();
    for (size_t i = 0; i < choices.size(); ++i) {
        json choice = {{"index", i}};
        if (m.chat) {
            choice["message"] = {{"role", "assistant"}, {"content", choices[i].text}};
        } else {
            choice["text"] = choices[i].text;
        }
        choice["logprobs"] = choices[i].with_logprobs ? logprobs_json(m.chat, choices[i].logprobs, 0) : json(nullptr);
        choice["finish_reason"] = choices[i].finish_reason;
        out["choices"].push_back(std::move(choice));
    }
    out["usage"] = usage_json(n_prompt, n_completion);
    return out;
}

json chunk_json(const ResponseMeta &m, int index, const std::string &text, bool role_only,
                const std::string &finish_reason, json logprobs) {
    json out = base(m, m.chat ? "chat.completion.chunk" : "text_completion");
    json choice = {{"index", index}};
    if (m.chat) {
        json delta = json::object();
        if (role_only) {
            delta["role"] = "assistant";
            delta["content"] = "";
        } else if (finish_reason.empty()) {
            delta["content"] = text;
        }
        choice["delta"] = delta;
    } else {
        choice["text"] = text;
    }
    choice["logprobs"] = std::move(logprobs);
    choice["finish_reason"] = null_or(finish_reason);
    out["choices"] = json::array({choice});
    return out;
}

json usage_chunk_json(const ResponseMeta &m, int32_t n_prompt, int32_t n_completion) {
    json out = base(m, m.chat ? "chat.completion.chunk" : "text_completion");
    out["choices"] = json::array();
    out["usage"] = usage_json(n_prompt, n_completion);
    return out;
}

json error_json(const ApiError &e) {
    return {{"error",
             {{"message", e.what()}, {"type", e.type}, {"param", null_or(e.param)}, {"code", null_or(e.code)}}}};
}

std::string dump(const json &value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string sse_event(const json &value) { return "data: " + dump(value) + "\n\n"; }

std::string sse_done() { return "data: [DONE]\n\n"; }

}  // namespace cli::serve
