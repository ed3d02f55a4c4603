// What the opaque C handles hold, and the one place C++ errors become C status codes.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "core/error.h"
#include "llmrt.h"
#include "models/model.h"
#include "runtime/context.h"
#include "runtime/generation.h"
#include "runtime/sampler.h"

struct llmrt_model {
    std::unique_ptr<llmrt::Model> impl;
};

struct llmrt_context {
    llmrt_model *model = nullptr;
    std::unique_ptr<llmrt::Context> impl;
    std::unique_ptr<llmrt::Generation> generation;  // the pull-style generation, if any
    std::string piece;                              // the last piece llmrt_generate_next returned
    const char *stop_reason = "";                   // why the last generation ended
    std::string profile_json;                       // the text llmrt_context_profile_json last returned
};

struct llmrt_sampler {
    std::unique_ptr<llmrt::Sampler> impl;
};

namespace llmrt {

void set_last_error(const std::string &message);
void clear_last_error();

// Runs body, turning every exception into a status and the thread's error message. Nothing
// thrown inside the library crosses the C boundary.
template <class F>
llmrt_status guarded(F &&body) noexcept {
    try {
        clear_last_error();
        body();
        return LLMRT_OK;
    } catch (const Error &e) {
        set_last_error(e.what());
        return e.status();
    } catch (const std::bad_alloc &) {
        set_last_error("out of memory");
        return LLMRT_ERR_OUT_OF_MEMORY;
    } catch (const std::exception &e) {
        set_last_error(std::string("internal error: ") + e.what());
        return LLMRT_ERR_INTERNAL;
    } catch (...) {
        set_last_error("internal error: unknown exception");
        return LLMRT_ERR_INTERNAL;
    }
}

inline void require_arg(bool ok, const char *message) {
    if (!ok) fail(LLMRT_ERR_INVALID_ARGUMENT, message);
}

// Copies defaults into a caller's params struct of struct_size bytes (an older caller's struct
// is smaller: only its fields are written, and struct_size says how many there are).
template <class T>
void write_params(T *given, uint32_t struct_size, const T &defaults) {
    if (!given || struct_size < sizeof(uint32_t)) return;
    const uint32_t n = std::min<uint32_t>(struct_size, sizeof(T));
    std::memcpy(static_cast<void *>(given), &defaults, n);
    given->struct_size = n;
}

// Params structs may come from an older caller with a smaller struct_size: start from the
// defaults and take only the fields the caller's struct covers.
template <class T>
T read_params(const T *given, void (*init)(T *, uint32_t)) {
    T params;
    init(&params, sizeof(T));
    if (!given) return params;
    require_arg(given->struct_size >= sizeof(uint32_t), "params.struct_size is not set (call the *_params_init function)");
    std::memcpy(static_cast<void *>(&params), given, std::min<size_t>(given->struct_size, sizeof(T)));
    params.struct_size = sizeof(T);
    return params;
}

}  // namespace llmrt
