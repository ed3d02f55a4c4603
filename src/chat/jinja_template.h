// A parsed Jinja template and its rendering, set up as Hugging Face transformers sets up Jinja2 for
// chat templates: trim_blocks, lstrip_blocks, loop controls, the {% generation %} tag, lenient
// undefined values, and the globals raise_exception, strftime_now and namespace.
#pragma once

#include <ctime>
#include <string>

#include "chat/jinja_ast.h"

namespace llmrt::jinja {

class Template {
public:
    // Throws JinjaError("TemplateSyntaxError", ...) if the source does not parse.
    explicit Template(const std::string &source);

    // Renders with the variables of `vars` (a dict). strftime_now formats `now`.
    // Throws JinjaError for what Jinja2 would raise (raise_exception, TypeError, UndefinedError, ...).
    std::string render(const Value &vars, const std::tm &now) const;

private:
    Body body_;
};

}  // namespace llmrt::jinja
