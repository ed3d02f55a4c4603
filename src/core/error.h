// Internal error type: thrown inside the C++ core, turned into a status + message at the C API
// (src/api/api_status.cpp maps Status to the header's codes).
#pragma once

#include <stdexcept>
#include <string>

namespace llmrt {

enum class Status {
    InvalidArgument,  // a bad parameter value
    Io,               // a file could not be opened, read or written; tensor-parallel ranks stopped communicating
    Format,           // a file is malformed
    Unsupported,      // valid input this build cannot handle
    OutOfMemory,
    ContextFull,      // the tokens do not fit in the context window
    Cancelled,        // a callback asked to stop, or the context was cancelled
    BufferTooSmall,
    Internal,         // a bug
    Busy,             // the context is in use by a running call
};

class Error : public std::runtime_error {
public:
    Error(Status status, const std::string &message) : std::runtime_error(message), status_(status) {}
    Status status() const { return status_; }

private:
    Status status_;
};

[[noreturn]] inline void fail(Status status, const std::string &message) { throw Error(status, message); }

// Checks a condition that input data must satisfy; the message names the file and the problem.
inline void require(bool condition, Status status, const std::string &message) {
    if (!condition) fail(status, message);
}

}  // namespace llmrt
