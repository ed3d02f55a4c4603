// From a request to prompt token ids: chat messages rendered with the model's chat template (or
// the one given with --chat-template), or, for a model without one, the plain transcript the
// library's chat session uses: "User: ...\nAssistant:", which stops at "\nUser:". As the chat
// session, an answer also stops at the template's end-of-turn text.
#pragma once

#include "request.h"

#include "llmrt.h"

#include <string>
#include <vector>

namespace cli::serve {

struct Prompt {
    std::vector<llmrt_token> tokens;
    std::vector<std::string> stop;  // the template's own stop strings, added to the request's
};

class PromptBuilder {
public:
    // template_text "": the model's template if it has one, else the plain transcript.
    PromptBuilder(const llmrt_model *model, std::string template_text);

    bool has_template() const { return has_template_; }
    // Throws ApiError(400) for a template that fails or text that does not tokenize.
    Prompt build(const GenerationRequest &request) const;

private:
    std::string render(const nlohmann::json &messages) const;  // with the generation prompt
    std::vector<llmrt_token> chat_tokens(const std::string &text) const;

    const llmrt_model *model_;
    std::string template_;     // the model's, the user's, or the library's plain transcript
    bool has_template_ = false;  // false: the plain transcript
    std::string end_of_turn_;  // where answers end besides end-of-generation tokens; may be ""
};

}  // namespace cli::serve
