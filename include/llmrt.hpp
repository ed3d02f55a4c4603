/* llmrt.hpp: owners for the handles of llmrt.h, for C++ callers. Header-only and over the C API:
 * nothing C++ crosses the library's boundary, so it works with any compiler the C header does.
 *
 *   llmrt::model_ptr model(raw);          // llmrt_model_free when it goes out of scope
 *   llmrt::context_ptr ctx = ...;         // std::unique_ptr: move-only, .get() for the C calls
 *
 * A handle that keeps another alive (a context its model, a generation its context) does so
 * inside the library, so owners may be destroyed in any order. */
#ifndef LLMRT_HPP
#define LLMRT_HPP

#include <memory>

#include "llmrt.h"

namespace llmrt {

/* Frees any llmrt handle with its own free function. */
struct handle_deleter {
    void operator()(llmrt_model *p) const noexcept { llmrt_model_free(p); }
    void operator()(llmrt_context *p) const noexcept { llmrt_context_free(p); }
    void operator()(llmrt_sampler *p) const noexcept { llmrt_sampler_free(p); }
    void operator()(llmrt_quantizer *p) const noexcept { llmrt_quantizer_free(p); }
    void operator()(llmrt_generation *p) const noexcept { llmrt_generation_free(p); }
    void operator()(llmrt_chat_session *p) const noexcept { llmrt_chat_session_free(p); }
    void operator()(llmrt_beam_results *p) const noexcept { llmrt_beam_results_free(p); }
    void operator()(llmrt_text_stream *p) const noexcept { llmrt_text_stream_free(p); }
};

using model_ptr = std::unique_ptr<llmrt_model, handle_deleter>;
using context_ptr = std::unique_ptr<llmrt_context, handle_deleter>;
using sampler_ptr = std::unique_ptr<llmrt_sampler, handle_deleter>;
using quantizer_ptr = std::unique_ptr<llmrt_quantizer, handle_deleter>;
using generation_ptr = std::unique_ptr<llmrt_generation, handle_deleter>;
using chat_session_ptr = std::unique_ptr<llmrt_chat_session, handle_deleter>;
using beam_results_ptr = std::unique_ptr<llmrt_beam_results, handle_deleter>;
using text_stream_ptr = std::unique_ptr<llmrt_text_stream, handle_deleter>;

}  // namespace llmrt

#endif /* LLMRT_HPP */
