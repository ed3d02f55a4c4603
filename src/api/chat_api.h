// What the chat session needs from the chat template functions (src/api/api_chat.cpp).
#pragma once

#include "api/handles.h"
#include "chat/chat_template.h"

namespace llmrt {

// The template variables llmrt_chat_apply_template gives by default for model (its BOS and EOS text).
chat::ChatTemplateOptions default_chat_template_options(const llmrt_model *model);

}  // namespace llmrt
