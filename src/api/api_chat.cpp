// Chat templates: the model's own template, and rendering a conversation with one.
#include <cstring>

#include "api/chat_api.h"
#include "api/handles.h"
#include "api/text_out.h"
#include "runtime/chat_prompt.h"
#include "chat/chat_template.h"
#include "tokenizer/chat_template_source.h"

using llmrt::guarded;
using llmrt::require_arg;
using ojson = nlohmann::ordered_json;

namespace {

ojson parse_json_arg(const char *text, const char *what) {
    ojson j = ojson::parse(text, nullptr, false);
    if (j.is_discarded()) llmrt::fail(llmrt::Status::InvalidArgument, std::string(what) + " is not valid JSON");
    return j;
}

// A special token's text as the template should see it ("<|begin_of_text|>"), or none.
std::optional<std::string> token_text(const llmrt_model *model, int32_t id) {
    if (!model || id < 0) return std::nullopt;
    return model->impl->tokenizer->decode({id}, false);
}

llmrt::chat::ChatTemplateOptions to_options(const llmrt_model *model, const llmrt_chat_template_params &p) {
    llmrt::chat::ChatTemplateOptions o;
    o.add_generation_prompt = p.add_generation_prompt != 0;
    o.bos_token = p.bos_token ? std::optional<std::string>(p.bos_token)
                              : token_text(model, model ? model->impl->tokenizer->bos() : -1);
    o.eos_token = p.eos_token ? std::optional<std::string>(p.eos_token)
                              : token_text(model, model ? model->impl->tokenizer->eos() : -1);
    if (p.tools_json) {
        o.tools = parse_json_arg(p.tools_json, "params.tools_json");
        require_arg(o.tools.is_array() || o.tools.is_null(), "params.tools_json is not a JSON array");
    }
    if (p.extra_vars_json) {
        o.extra = parse_json_arg(p.extra_vars_json, "params.extra_vars_json");
        require_arg(o.extra.is_object(), "params.extra_vars_json is not a JSON object");
    }
    return o;
}

std::string template_text(const llmrt_model *model, const char *tmpl) {
    if (tmpl) return tmpl;
    require_arg(model != nullptr, "tmpl and model are both NULL");
    std::string text = llmrt::chat_template_of(model->impl->checkpoint, "default");
    require_arg(!text.empty(), "the model has no chat template; pass one as tmpl");
    return text;
}

void render_into(const llmrt_model *model, const char *tmpl, const ojson &messages,
                 const llmrt_chat_template_params *params, char *buf, size_t capacity, size_t *length) {
    require_arg(length != nullptr, "length must not be NULL");
    const auto p = llmrt::read_params(params, llmrt_chat_template_params_init_sized);
    const std::string out = llmrt::chat::render_chat_template(template_text(model, tmpl), messages, to_options(model, p));
    llmrt::copy_text_out(out, buf, capacity, length, true);
}

}  // namespace

llmrt::chat::ChatTemplateOptions llmrt::default_chat_template_options(const llmrt_model *model) {
    llmrt_chat_template_params p;
    llmrt_chat_template_params_init(&p);
    return to_options(model, p);
}

extern "C" {

void llmrt_chat_template_params_init_sized(llmrt_chat_template_params *given, uint32_t struct_size) {
    llmrt_chat_template_params defaults{};
    defaults.struct_size = sizeof(llmrt_chat_template_params);
    defaults.add_generation_prompt = 1;
    llmrt::write_params(given, struct_size, defaults);
}

llmrt_status llmrt_model_chat_template(const llmrt_model *model, const char *name, char *buf, size_t capacity,
                                       size_t *length) {
    return guarded([&] {
        require_arg(model && length, "model and length must not be NULL");
        llmrt::copy_text_out(llmrt::chat_template_of(model->impl->checkpoint, name ? name : ""), buf, capacity, length,
                             true);
    });
}

llmrt_status llmrt_chat_apply_template(const llmrt_model *model, const char *tmpl, const llmrt_chat_message *messages,
                                       size_t n_messages, const llmrt_chat_template_params *params, char *buf,
                                       size_t capacity, size_t *length) {
    return guarded([&] {
        require_arg(messages || n_messages == 0, "messages is NULL");
        ojson list = ojson::array();
        for (size_t i = 0; i < n_messages; ++i) {
            require_arg(messages[i].role && messages[i].content, "a message's role or content is NULL");
            list.push_back({{"role", messages[i].role}, {"content", messages[i].content}});
        }
        render_into(model, tmpl, list, params, buf, capacity, length);
    });
}

llmrt_status llmrt_chat_apply_template_json(const llmrt_model *model, const char *tmpl, const char *messages_json,
                                            const llmrt_chat_template_params *params, char *buf, size_t capacity,
                                            size_t *length) {
    return guarded([&] {
        require_arg(messages_json != nullptr, "messages_json is NULL");
        const ojson messages = parse_json_arg(messages_json, "messages_json");
        require_arg(messages.is_array(), "messages_json is not a JSON array");
        render_into(model, tmpl, messages, params, buf, capacity, length);
    });
}

const char *llmrt_chat_plain_template(void) { return llmrt::kPlainTranscriptTemplate; }

llmrt_status llmrt_chat_template_stop_text(const llmrt_model *model, const char *tmpl, char *buf, size_t capacity,
                                           size_t *length) {
    return guarded([&] {
        require_arg(length != nullptr, "length must not be NULL");
        llmrt_chat_template_params p;
        llmrt_chat_template_params_init(&p);
        const std::vector<std::string> stops = llmrt::answer_stops(template_text(model, tmpl), to_options(model, p));
        llmrt::copy_text_out(stops.empty() ? std::string() : stops.front(), buf, capacity, length, true);
    });
}

llmrt_status llmrt_chat_tokenize(const llmrt_model *model, const char *text, size_t text_len, llmrt_token *tokens,
                                 int32_t capacity, int32_t *n_tokens) {
    return guarded([&] {
        require_arg(model && (text || text_len == 0) && n_tokens, "model, text and n_tokens must not be NULL");
        const std::string rendered = text ? std::string(text, text_len) : std::string();
        llmrt::copy_tokens_out(llmrt::tokenize_rendered_chat(*model->impl->tokenizer, rendered), tokens, capacity,
                               n_tokens);
    });
}

}  // extern "C"
