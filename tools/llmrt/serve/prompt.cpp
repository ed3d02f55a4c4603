#include "prompt.h"

#include "api_error.h"
#include "../library.h"

namespace cli::serve {

using json = nlohmann::json;

namespace {

// The library's chat session renders a model without a template the same way (llmrt.h,
// "Chat session"), so answers here match `llmrt chat`.
std::string plain_transcript(const json &messages) {
    std::string text;
    for (const json &m : messages) {
        const std::string role = m["role"].get<std::string>();
        const std::string content = m["content"].get<std::string>();
        if (role == "system") {
            text += content + "\n\n";
        } else if (role == "assistant") {
            text += "Assistant:" + content + "\n";
        } else {
            text += "User: " + content + "\n";
        }
    }
    return text + "Assistant:";
}

std::string trim(const std::string &s) {
    const size_t begin = s.find_first_not_of(" \t\r\n");
    return begin == std::string::npos ? "" : s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

}  // namespace

PromptBuilder::PromptBuilder(const llmrt_model *model, std::string template_text)
    : model_(model), template_(std::move(template_text)) {
    if (template_.empty()) template_ = model_chat_template(model, nullptr);
    const llmrt_token bos = llmrt_model_bos(model);
    if (bos >= 0) bos_text_ = token_piece(model, bos);
    end_of_turn_ = find_end_of_turn();
}

// What the template writes after an assistant's message, found by rendering a probe answer
// (the chat session does the same, so both stop alike).
std::string PromptBuilder::find_end_of_turn() const {
    if (template_.empty()) return "";
    const std::string marker = "\x01llmrt-answer\x01";
    try {
        const json probe = json::array({{{"role", "user"}, {"content", "hi"}}, {{"role", "assistant"}, {"content", marker}}});
        const std::string text = render(probe, false);
        const size_t at = text.rfind(marker);
        return at == std::string::npos ? "" : trim(text.substr(at + marker.size()));
    } catch (const ApiError &) {
        return "";  // a template that refuses the probe may still render real conversations
    }
}

std::string PromptBuilder::render(const json &messages, bool add_generation_prompt) const {
    if (template_.empty()) return plain_transcript(messages);
    const std::string messages_json = messages.dump(-1, ' ', false, json::error_handler_t::replace);
    llmrt_chat_template_params params;
    llmrt_chat_template_params_init(&params);
    params.add_generation_prompt = add_generation_prompt ? 1 : 0;
    size_t length = 0;
    llmrt_status status = llmrt_chat_apply_template_json(model_, template_.c_str(), messages_json.c_str(), &params,
                                                         nullptr, 0, &length);
    std::string text;
    if (status == LLMRT_ERR_BUFFER_TOO_SMALL) {
        text.resize(length + 1);
        status = llmrt_chat_apply_template_json(model_, template_.c_str(), messages_json.c_str(), &params,
                                                text.data(), text.size(), &length);
    }
    if (status != LLMRT_OK) {
        throw invalid_request(std::string("the chat template cannot render these messages: ") + llmrt_last_error(),
                              "messages");
    }
    text.resize(length);
    return text;
}

std::vector<llmrt_token> PromptBuilder::tokenize(const std::string &text, bool add_special) const {
    try {
        return cli::tokenize(model_, text, add_special);
    } catch (const LibraryError &e) {
        throw invalid_request(e.what(), "prompt");
    }
}

Prompt PromptBuilder::build(const GenerationRequest &request) const {
    Prompt p;
    if (!request.chat) {
        // As `llmrt generate`: the text with the model's BOS.
        p.tokens = request.prompt_is_ids ? request.prompt_ids : tokenize(request.prompt, true);
        return p;
    }
    const std::string text = render(request.messages, true);
    // A template that writes the BOS text itself must not get a second one (as the chat session).
    const bool has_bos = !bos_text_.empty() && text.compare(0, bos_text_.size(), bos_text_) == 0;
    p.tokens = tokenize(text, !has_bos);
    if (template_.empty()) {
        p.stop.push_back("\nUser:");
    } else if (!end_of_turn_.empty()) {
        p.stop.push_back(end_of_turn_);
    }
    return p;
}

}  // namespace cli::serve
