// What the opaque C handles hold, and the one place C++ errors become C status codes.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "core/error.h"
#include "llmrt.h"
#include "models/model.h"
#include "runtime/chat_session.h"
#include "runtime/context.h"
#include "runtime/generation.h"
#include "runtime/sampler.h"

// Handles are reference counted: the caller's reference (dropped by *_free) and one for each
// object that needs the handle alive (a context its model, a generation its sampler, a running
// call its context), so a *_free while in use never leaves a dangling pointer behind.
struct llmrt_model {
    std::atomic<int> refs{1};
    std::unique_ptr<llmrt::Model> impl;
};

struct llmrt_sampler {
    std::atomic<int> refs{1};
    std::unique_ptr<llmrt::Sampler> impl;
};

struct llmrt_context {
    std::atomic<int> refs{1};
    std::atomic<bool> busy{false};                  // a call that changes the context is running
    llmrt_model *model = nullptr;                   // referenced
    std::unique_ptr<llmrt::Context> impl;
    llmrt_generation *generation = nullptr;         // the live generation on it, if any (not owned)
    llmrt_generation *legacy_generation = nullptr;  // owned: the deprecated llmrt_generate_begin's
    llmrt::StopReason stop_reason = llmrt::StopReason::None;  // why the last llmrt_generate(_begin) ended
    std::string profile_json;                       // the text llmrt_context_profile_json last returned

    ~llmrt_context();
};

struct llmrt_chat_session;

// A generation and what it refers to. Owned by its caller (llmrt_generation_free), or by the
// context for the deprecated begin/next/end, or by the running llmrt_generate call.
struct llmrt_generation {
    llmrt_context *ctx = nullptr;              // referenced unless the context owns this handle
    bool owned_by_context = false;
    llmrt_sampler *sampler = nullptr;          // referenced
    llmrt_chat_session *session = nullptr;     // referenced: a chat answer, added to it at the end
    std::unique_ptr<llmrt::Generation> impl;   // null once the context ended it (reset, scoring)
    std::string piece;                         // the last piece llmrt_generation_next returned
    std::string text;                          // every piece so far (a chat session's answer)
    llmrt::StopReason stop_reason = llmrt::StopReason::None;
    bool finished = false;

    ~llmrt_generation();
};

struct llmrt_chat_session {
    std::atomic<int> refs{1};
    llmrt_context *ctx = nullptr;              // referenced
    llmrt_sampler *sampler = nullptr;          // referenced
    std::unique_ptr<llmrt::ChatSession> impl;
    llmrt_generation *answer = nullptr;        // the respond_begin handle still producing, if any

    ~llmrt_chat_session();
};

namespace llmrt {

template <class Handle>
Handle *retain(Handle *h) {
    h->refs.fetch_add(1, std::memory_order_relaxed);
    return h;
}

template <class Handle>
void release(Handle *h) {
    if (h && h->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete h;
}

// Ends ctx's live generation: the deprecated pull form's is freed, a caller's handle is left
// without its state (its next call fails). Used by calls that change the cache under it.
void end_generation(llmrt_context *ctx);

// One call that changes a context (header: Re-entry and Cancel). Refuses a context that another
// call is using (its own callback, or a second thread) with LLMRT_ERR_BUSY, and keeps the context
// alive for the call (llmrt_context_free from a callback). A cancellable call (decode, generate)
// clears the cancel request when it returns, whatever it returns.
class ContextCall {
public:
    ContextCall(llmrt_context *ctx, bool cancellable) : ctx_(ctx), cancellable_(cancellable) {
        if (ctx_->busy.exchange(true, std::memory_order_acq_rel))
            fail(Status::Busy, "the context is in use by a running call (a callback may only cancel it)");
        retain(ctx_);
    }
    ~ContextCall() {
        if (cancellable_) ctx_->impl->clear_cancel();
        ctx_->busy.store(false, std::memory_order_release);
        release(ctx_);
    }
    ContextCall(const ContextCall &) = delete;
    ContextCall &operator=(const ContextCall &) = delete;

private:
    llmrt_context *ctx_;
    bool cancellable_;
};

// The C API code of an internal status.
llmrt_status api_status(Status status);
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
        return api_status(e.status());
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
    if (!ok) fail(Status::InvalidArgument, message);
}

// A shift mode of the C API (LLMRT_SHIFT_*).
inline ShiftMode shift_mode_of(int32_t mode) {
    switch (mode) {
    case LLMRT_SHIFT_OFF: return ShiftMode::Off;
    case LLMRT_SHIFT_REEVALUATE: return ShiftMode::Reevaluate;
    case LLMRT_SHIFT_ROPED_K: return ShiftMode::RopedK;
    default:
        fail(Status::InvalidArgument, "shift mode " + std::to_string(mode) +
                                          " is not LLMRT_SHIFT_OFF, LLMRT_SHIFT_REEVALUATE or LLMRT_SHIFT_ROPED_K");
    }
}

// n_threads of a params struct: 0 (all cores) up to LLMRT_MAX_THREADS.
inline void require_thread_count(int32_t n_threads) {
    if (n_threads < 0 || n_threads > LLMRT_MAX_THREADS)
        fail(Status::InvalidArgument, "n_threads is " + std::to_string(n_threads) + ": it must be 0 (all cores) to " +
                                             std::to_string(LLMRT_MAX_THREADS));
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

inline llmrt_context::~llmrt_context() {
    llmrt::end_generation(this);
    impl.reset();  // it refers to the model
    llmrt::release(model);
}
