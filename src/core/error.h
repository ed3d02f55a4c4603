// Internal error type: thrown inside the C++ core, turned into a status + message at the C API.
#pragma once

#include <stdexcept>
#include <string>

#include "llmrt.h"

namespace llmrt {

class Error : public std::runtime_error {
public:
    Error(llmrt_status status, const std::string &message)
        : std::runtime_error(message), status_(status) {}
    llmrt_status status() const { return status_; }

private:
    llmrt_status status_;
};

[[noreturn]] inline void fail(llmrt_status status, const std::string &message) {
    throw Error(status, message);
}

// Checks a condition that input data must satisfy; the message names the file and the problem.
inline void require(bool condition, llmrt_status status, const std::string &message) {
    if (!condition) fail(status, message);
}

}  // namespace llmrt
