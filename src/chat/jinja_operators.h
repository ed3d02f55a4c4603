// Python's semantics for the operators of Jinja expressions (+ - * / // % ** ~, comparisons,
// in, not), including its TypeError messages.
#pragma once

#include <string>

#include "chat/jinja_value.h"

namespace llmrt::jinja {

Value binary_op(const std::string &op, const Value &lhs, const Value &rhs);
Value unary_op(const std::string &op, const Value &operand);

}  // namespace llmrt::jinja
