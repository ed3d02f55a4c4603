// The error every part of the Jinja engine throws. It carries the Python/Jinja2 exception type
// name ("TypeError", "TemplateError", "UndefinedError", "TemplateSyntaxError", ...) so that a
// failure reads like the one Jinja2 would report for the same template and data.
#pragma once

#include <string>

#include "core/error.h"

namespace llmrt::jinja {

class JinjaError : public Error {
public:
    JinjaError(const std::string &type, const std::string &message)
        : Error(Status::InvalidArgument, type + ": " + message), type_(type), message_(message) {}
    const std::string &type() const { return type_; }
    const std::string &message() const { return message_; }

private:
    std::string type_;
    std::string message_;
};

[[noreturn]] inline void raise(const std::string &type, const std::string &message) {
    throw JinjaError(type, message);
}

}  // namespace llmrt::jinja
