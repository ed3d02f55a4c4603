// Splits a template into text and tag tokens the way Jinja2's lexer does with trim_blocks and
// lstrip_blocks on: newlines normalized to \n, one trailing newline dropped, whitespace control
// ({%- -%} {{- -}} {#- -#} and the + forms) applied to the text tokens, comments removed.
#pragma once

#include <string>
#include <vector>

namespace llmrt::jinja {

enum class Tok { Text, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Op, Eof };

struct Token {
    Tok type;
    std::string text;  // Text: the text; String: the unescaped value; Name/Op/numbers: the spelling
    int line;
};

struct LexOptions {
    bool trim_blocks = true;
    bool lstrip_blocks = true;
};

// Throws JinjaError("TemplateSyntaxError", ...) on an unterminated tag, string or comment.
std::vector<Token> tokenize(const std::string &source, const LexOptions &options = {});

}  // namespace llmrt::jinja
