// The generation handle's pieces shared by llmrt_generate*, llmrt_generation_* and the chat
// session (src/api/api_generate.cpp). All of them run inside a ContextCall on the handle's context.
#pragma once

#include <functional>
#include <memory>

#include "api/handles.h"

namespace llmrt {

// The options of a params struct (NULL: the defaults).
GenerateOptions generate_options(const llmrt_generate_params *params);

// Starts a generation on ctx with the state make() builds (it evaluates the prompt). Refuses a
// context with a live caller's handle (LLMRT_ERR_BUSY); ends the deprecated pull form's. A
// handle owned by the context does not reference it (that would be a cycle).
std::unique_ptr<llmrt_generation> start_generation(llmrt_context *ctx, llmrt_sampler *sampler, bool owned_by_context,
                                                   const std::function<std::unique_ptr<Generation>()> &make);

// One piece into gen->piece; false at the end (then gen->stop_reason says why).
bool next_piece(llmrt_generation *gen, GeneratedPiece &out);

// The callback form: runs gen to its end, passing each piece to callback (may be NULL).
void run_with_callback(llmrt_generation *gen, llmrt_token_callback callback, void *user_data);

}  // namespace llmrt
