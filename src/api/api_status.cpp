// Errors, versions and logging.
#include <string>

#include "api/handles.h"
#include "core/log.h"

namespace llmrt {
namespace {
// The API's error slot: one message per thread, as the header promises.
thread_local std::string t_last_error;
}  // namespace

llmrt_status api_status(Status status) {
    switch (status) {
        case Status::InvalidArgument: return LLMRT_ERR_INVALID_ARGUMENT;
        case Status::Io: return LLMRT_ERR_IO;
        case Status::Format: return LLMRT_ERR_FORMAT;
        case Status::Unsupported: return LLMRT_ERR_UNSUPPORTED;
        case Status::OutOfMemory: return LLMRT_ERR_OUT_OF_MEMORY;
        case Status::ContextFull: return LLMRT_ERR_CONTEXT_FULL;
        case Status::Cancelled: return LLMRT_CANCELLED;
        case Status::BufferTooSmall: return LLMRT_ERR_BUFFER_TOO_SMALL;
        case Status::Internal: return LLMRT_ERR_INTERNAL;
        case Status::Busy: return LLMRT_ERR_BUSY;
    }
    return LLMRT_ERR_INTERNAL;
}

void set_last_error(const std::string &message) { t_last_error = message; }
void clear_last_error() { t_last_error.clear(); }

}  // namespace llmrt

extern "C" {

const char *llmrt_last_error(void) { return llmrt::t_last_error.c_str(); }

const char *llmrt_status_string(llmrt_status status) {
    switch (status) {
        case LLMRT_OK: return "ok";
        case LLMRT_ERR_INVALID_ARGUMENT: return "invalid argument";
        case LLMRT_ERR_IO: return "i/o error";
        case LLMRT_ERR_FORMAT: return "malformed file";
        case LLMRT_ERR_UNSUPPORTED: return "unsupported";
        case LLMRT_ERR_OUT_OF_MEMORY: return "out of memory";
        case LLMRT_ERR_CONTEXT_FULL: return "context full";
        case LLMRT_CANCELLED: return "cancelled";
        case LLMRT_ERR_BUFFER_TOO_SMALL: return "buffer too small";
        case LLMRT_ERR_INTERNAL: return "internal error";
        case LLMRT_END_OF_GENERATION: return "end of generation";
        case LLMRT_ERR_BUSY: return "busy";
        default: return "unknown status";
    }
}

uint32_t llmrt_api_version(void) { return LLMRT_API_VERSION; }

uint32_t llmrt_api_version_minor(void) { return LLMRT_API_VERSION_MINOR; }

const char *llmrt_version_string(void) { return LLMRT_VERSION_STRING; }

void llmrt_set_log_callback(llmrt_log_callback callback, void *user_data) {
    llmrt::set_log_callback(callback, user_data);
}

void llmrt_set_log_level(int32_t level) { llmrt::set_log_level(level); }

}  // extern "C"
