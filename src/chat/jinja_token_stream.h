// A cursor over the lexer's tokens, shared by the statement and expression parsers: lookahead,
// expectations that fail with a TemplateSyntaxError naming the line, and a nesting guard.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "chat/jinja_ast.h"
#include "chat/jinja_error.h"
#include "chat/jinja_lexer.h"

namespace llmrt::jinja {

class TokenStream {
public:
    explicit TokenStream(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

    const Token &cur() const { return toks_[pos_]; }
    const Token &peek(size_t n = 1) const { return toks_[std::min(pos_ + n, toks_.size() - 1)]; }
    void next() {
        if (pos_ + 1 < toks_.size()) ++pos_;
    }
    bool is_op(const char *op) const { return cur().type == Tok::Op && cur().text == op; }
    bool is_name(const char *name) const { return cur().type == Tok::Name && cur().text == name; }
    [[noreturn]] void fail(const std::string &what) const {
        std::string got = cur().type == Tok::Eof ? "end of template" : "'" + cur().text + "'";
        if (cur().type == Tok::BlockEnd) got = "end of statement block";
        if (cur().type == Tok::VarEnd) got = "end of print statement";
        raise("TemplateSyntaxError", what + ", got " + got + " (line " + std::to_string(cur().line) + ")");
    }
    void expect_op(const char *op) {
        if (!is_op(op)) fail(std::string("expected '") + op + "'");
        next();
    }
    std::string expect_name() {
        if (cur().type != Tok::Name) fail("expected a name");
        std::string n = cur().text;
        next();
        return n;
    }
    void expect(Tok type, const char *what) {
        if (cur().type != type) fail(std::string("expected ") + what);
        next();
    }

    // Deeper nesting than any real template; stops malformed input from exhausting the stack.
    static constexpr int kMaxDepth = 200;
    class DepthGuard {
    public:
        explicit DepthGuard(TokenStream &ts) : ts_(ts) {
            if (++ts_.depth_ > kMaxDepth) raise("TemplateSyntaxError", "template nested too deeply");
        }
        ~DepthGuard() { --ts_.depth_; }
        DepthGuard(const DepthGuard &) = delete;
        DepthGuard &operator=(const DepthGuard &) = delete;

    private:
        TokenStream &ts_;
    };

private:
    std::vector<Token> toks_;
    size_t pos_ = 0;
    int depth_ = 0;
};

}  // namespace llmrt::jinja
