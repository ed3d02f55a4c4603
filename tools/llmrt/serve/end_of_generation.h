// The token ids that end a generation. The C API names only the model's EOS
// (llmrt_model_eos), while the library's own generation also stops at the end-of-turn tokens of
// known chat formats; the server finds those the same way from outside: a marker that the
// tokenizer turns into one token is that token.
#pragma once

#include "llmrt.h"

#include <vector>

namespace cli::serve {

std::vector<llmrt_token> end_of_generation_ids(const llmrt_model *model);

}  // namespace cli::serve
