// How a chat becomes a prompt, one rule for chat sessions and for applications through the C API
// (a server): the plain transcript for a model without a template, how a rendering becomes tokens,
// and the text that ends an answer.
#pragma once

#include <string>
#include <vector>

#include "chat/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace llmrt {

// "User: ...\nAssistant: ..." for a model without a chat template (README, "Multi-turn chat").
extern const char kPlainTranscriptTemplate[];

// Special-token text the template writes ("<|im_start|>") is that token, as Hugging Face
// tokenizes a rendered chat; a template that writes the BOS text itself gets no second BOS.
std::vector<int32_t> tokenize_rendered_chat(const Tokenizer &tok, const std::string &text);

// Where an answer rendered with tmpl ends besides end-of-generation tokens: the text the template
// writes after an assistant's message ("<|im_end|>"), "\nUser:" for the plain transcript; empty
// when there is none.
std::vector<std::string> answer_stops(const std::string &tmpl, const chat::ChatTemplateOptions &options);

}  // namespace llmrt
