#include "chat/chat_template.h"

#include "chat/jinja_error.h"
#include "chat/jinja_template.h"

namespace llmrt::chat {

namespace {

std::tm local_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    return tm;
}

}  // namespace

std::string render_template(const std::string &tmpl, const nlohmann::ordered_json &vars, const std::tm &now) {
    if (!vars.is_object()) jinja::raise("TypeError", "template variables must be a JSON object");
    const jinja::Template t(tmpl);
    return t.render(jinja::Value::from_json(vars), now);
}

std::string render_chat_template(const std::string &tmpl, const nlohmann::ordered_json &messages,
                                 const ChatTemplateOptions &options) {
    if (!messages.is_array()) jinja::raise("TypeError", "messages must be a JSON array");
    // transformers passes tools and documents even when there are none, so `tools is defined` holds.
    nlohmann::ordered_json vars = {{"messages", messages},
                           {"tools", options.tools},
                           {"documents", nullptr},
                           {"add_generation_prompt", options.add_generation_prompt}};
    if (options.bos_token) vars["bos_token"] = *options.bos_token;
    if (options.eos_token) vars["eos_token"] = *options.eos_token;
    if (options.extra.is_object())
        for (auto it = options.extra.begin(); it != options.extra.end(); ++it) vars[it.key()] = it.value();
    return render_template(tmpl, vars, options.now ? *options.now : local_now());
}

}  // namespace llmrt::chat
