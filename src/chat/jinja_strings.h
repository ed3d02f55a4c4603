// Python's str operations on UTF-8 text, as the templates' methods and filters need them.
// Case mapping covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic (see py_upper).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llmrt::jinja {

// str.strip/lstrip/rstrip; chars == nullptr strips whitespace.
std::string py_strip(const std::string &s, const std::string *chars, bool left, bool right);
// str.split() with no separator: runs of whitespace, no empty parts.
std::vector<std::string> py_split_ws(const std::string &s, int64_t maxsplit, bool from_right);
std::vector<std::string> py_split(const std::string &s, const std::string &sep, int64_t maxsplit, bool from_right);
std::vector<std::string> py_splitlines(const std::string &s);
std::string py_replace(const std::string &s, const std::string &old, const std::string &repl, int64_t count);
int64_t py_count(const std::string &s, const std::string &needle);
// Python's upper()/lower() for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic letters.
std::string py_upper(std::string s);
std::string py_lower(std::string s);
std::string py_title(const std::string &s);
std::string py_capitalize(const std::string &s);
// isdigit/isspace/isalpha/isalnum/islower/isupper.
bool py_is_class(const std::string &s, const std::string &method);
bool is_py_whitespace_at(const std::string &s, size_t i, size_t &len);

}  // namespace llmrt::jinja
