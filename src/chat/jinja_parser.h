// Parses template tokens into statements, following the grammar and operator precedence of
// Jinja2's parser (jinja2/parser.py), for the subset chat templates use.
#pragma once

#include <string>

#include "chat/jinja_ast.h"

namespace llmrt::jinja {

// Throws JinjaError("TemplateSyntaxError", ...) with the line on malformed input.
Body parse_template(const std::string &source);

}  // namespace llmrt::jinja
