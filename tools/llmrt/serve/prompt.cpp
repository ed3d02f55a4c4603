#include "prompt.h"

#include "api_error.h"
#include "../library.h"

namespace cli::serve {

using json = nlohmann::json;

namespace {

// A string the library writes into a caller's buffer (asked for its size first).
template <class Call>
std::string sized_text(Call call) {
    size_t length = 0;
    llmrt_status status = call(nullptr, 0, &length);
    std::string text;
    if (status == LLMRT_ERR_BUFFER_TOO_SMALL) {
        text.resize(length + 1);
        status = call(text.data(), text.size(), &length);
    }
    if (status != LLMRT_OK) throw LibraryError(status, llmrt_last_error());
    text.resize(length);
    return text;
}

}  // namespace

PromptBuilder::PromptBuilder(const llmrt_model *model, std::string template_text)
    : model_(model), template_(std::move(template_text)) {
    if (template_.empty()) template_ = model_chat_template(model, nullptr);
    has_template_ = !template_.empty();
    // The chat session's plain transcript for a model without a template, so answers here match
    // `llmrt chat`; and where its answers end, as the session stops.
    if (!has_template_) template_ = llmrt_chat_plain_template();
    end_of_turn_ = sized_text([&](char *buf, size_t capacity, size_t *length) {
        return llmrt_chat_template_stop_text(model_, template_.c_str(), buf, capacity, length);
    });
}

std::string PromptBuilder::render(const json &messages) const {
    const std::string messages_json = messages.dump(-1, ' ', false, json::error_handler_t::replace);
    llmrt_chat_template_params params;
    llmrt_chat_template_params_init(&params);
    try {
        return sized_text([&](char *buf, size_t capacity, size_t *length) {
            return llmrt_chat_apply_template_json(model_, template_.c_str(), messages_json.c_str(), &params, buf,
                                                  capacity, length);
        });
    } catch (const LibraryError &e) {
        throw invalid_request(std::string("the chat template cannot render these messages: ") + e.what(), "messages");
    }
}

// As a chat session tokenizes its rendering: control-token text is those tokens, and a template
// that writes the BOS text itself gets no second BOS.
std::vector<llmrt_token> PromptBuilder::chat_tokens(const std::string &text) const {
    std::vector<llmrt_token> tokens(text.size() + 8);
    int32_t n = 0;
    llmrt_status status =
        llmrt_chat_tokenize(model_, text.data(), text.size(), tokens.data(), static_cast<int32_t>(tokens.size()), &n);
    if (status == LLMRT_ERR_BUFFER_TOO_SMALL) {
        tokens.resize(static_cast<size_t>(n));
        status = llmrt_chat_tokenize(model_, text.data(), text.size(), tokens.data(), n, &n);
    }
    if (status != LLMRT_OK) throw invalid_request(llmrt_last_error(), "messages");
    tokens.resize(static_cast<size_t>(n));
    return tokens;
}

Prompt PromptBuilder::build(const GenerationRequest &request) const {
    Prompt p;
    if (!request.chat) {
        // As `llmrt generate`: the text with the model's BOS.
        try {
            p.tokens = request.prompt_is_ids ? request.prompt_ids : cli::tokenize(model_, request.prompt, true);
        } catch (const LibraryError &e) {
            throw invalid_request(e.what(), "prompt");
        }
        return p;
    }
    p.tokens = chat_tokens(render(request.messages));
    if (!end_of_turn_.empty()) p.stop.push_back(end_of_turn_);
    return p;
}

}  // namespace cli::serve
