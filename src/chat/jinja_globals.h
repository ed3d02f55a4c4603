// The global functions of the chat-template environment: raise_exception (transformers),
// strftime_now (transformers; formats a time given by the caller), namespace, range, dict.
#pragma once

#include <ctime>

#include "chat/jinja_value.h"

namespace llmrt::jinja {

void install_globals(DictData &globals, const std::tm &now);

}  // namespace llmrt::jinja
