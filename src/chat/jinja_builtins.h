// Jinja2's built-in filters and tests, Python's str/dict methods, and attribute/item lookup with
// the sandboxed environment's rules (getattr before item for "x.name", item before attribute for
// "x[key]"; a missing attribute is undefined, attribute access on undefined raises).
#pragma once

#include <string>

#include "chat/jinja_value.h"

namespace llmrt::jinja {

Value get_attr(const Value &obj, const std::string &name);
Value get_item(const Value &obj, const Value &key);
Value slice(const Value &obj, const Value &start, const Value &stop, const Value &step);

bool has_filter(const std::string &name);
bool has_test(const std::string &name);
Value apply_filter(const std::string &name, const Value &subject, const Args &args, const Kwargs &kwargs);
bool apply_test(const std::string &name, const Value &subject, const Args &args);

// UndefinedError for using an undefined value where Python would (arithmetic, calls, access).
[[noreturn]] void undefined_error(const Value &undef);

}  // namespace llmrt::jinja
