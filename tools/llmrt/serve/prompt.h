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

    bool has_template() const { return !template_.empty(); }
    // Throws ApiError(400) for a template that fails or text that does not tokenize.
    Prompt build(const GenerationRequest &request) const;

private:
    std::string render(const nlohmann::json &messages, bool add_generation_prompt) const;
    std::string find_end_of_turn() const;
    std::vector<llmrt_token> tokenize(const std::string &text, bool add_special) const;

    const llmrt_model *model_;
    std::string template_;  // "" only when neither the model nor the user has one
    std::string bos_text_;
    std::string end_of_turn_;  // what the template writes after an answer ("<|im_end|>"); may be ""
};

}  // namespace cli::serve
