// Chat templates: renders a model's Jinja chat template for a conversation the way Hugging Face
// transformers' apply_chat_template does (same variables, same Jinja2 environment settings).
#pragma once

#include <ctime>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace llmrt::chat {

struct ChatTemplateOptions {
    bool add_generation_prompt = false;
    std::optional<std::string> bos_token;  // unset: undefined in the template, as transformers leaves it
    std::optional<std::string> eos_token;
    nlohmann::ordered_json tools;                       // null: tools=None
    nlohmann::ordered_json extra = nlohmann::ordered_json::object();  // more variables (enable_thinking, ...); win over the above
    std::optional<std::tm> now;                 // strftime_now's time; unset: the current local time
};

// Renders `tmpl` for `messages` (a JSON array of {role, content, ...}). Throws
// jinja::JinjaError (an llmrt::Error) when the template is malformed or raises.
std::string render_chat_template(const std::string &tmpl, const nlohmann::ordered_json &messages,
                                 const ChatTemplateOptions &options);

// Renders `tmpl` with exactly the variables of the JSON object `vars`.
std::string render_template(const std::string &tmpl, const nlohmann::ordered_json &vars, const std::tm &now);

}  // namespace llmrt::chat
