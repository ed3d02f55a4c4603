// Where a model keeps its chat template: tokenizer_config.json's "chat_template" (a string, or a
// list of {"name", "template"} for models with several, e.g. "default" and "tool_use"), or GGUF's
// tokenizer.chat_template (and tokenizer.chat_template.<name> for the named ones).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "formats/checkpoint.h"

namespace llmrt {

// The template called `name` ("" or "default": the default one); "" when there is none.
std::string template_from_tokenizer_config(const nlohmann::json &config, const std::string &name);
// Reads the checkpoint's tokenizer_config.json (HF directory or llmrt file) or GGUF metadata.
// Throws Error(Status::Format) if tokenizer_config.json is not valid JSON.
std::string chat_template_of(const Checkpoint &checkpoint, const std::string &name);

}  // namespace llmrt
