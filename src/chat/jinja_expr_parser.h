// Parses Jinja expressions with the precedence of jinja2/parser.py: conditional, or, and, not,
// comparisons and in, + -, ~, * / // %, **, unary, then postfix (attribute, item, slice, call) and
// filters/tests.
#pragma once

#include "chat/jinja_ast.h"
#include "chat/jinja_token_stream.h"

namespace llmrt::jinja {

class ExprParser {
public:
    explicit ExprParser(TokenStream &ts) : ts_(ts) {}

    ExprPtr parse_expression();
    // An expression, or several separated by commas (a tuple); allow_cond=false stops before
    // "if" (a for loop's iterable).
    ExprPtr parse_tuple_or_expr(bool allow_cond = true);
    // One filter "name(args)" applied to subject (null in a filter block), the "|" optional.
    ExprPtr parse_filter(ExprPtr subject, int line);

private:
    // Shorthands for the token stream's own helpers.
    const Token &cur() const { return ts_.cur(); }
    const Token &peek(size_t n = 1) const { return ts_.peek(n); }
    void next() { ts_.next(); }
    bool is_op(const char *op) const { return ts_.is_op(op); }
    bool is_name(const char *name) const { return ts_.is_name(name); }
    [[noreturn]] void fail(const std::string &what) const { ts_.fail(what); }
    void expect_op(const char *op) { ts_.expect_op(op); }
    std::string expect_name() { return ts_.expect_name(); }
    void expect(Tok type, const char *what) { ts_.expect(type, what); }

    static ExprPtr node(Expr::Kind kind, int line);
    static ExprPtr literal(Value v, int line);
    ExprPtr binary(const std::string &op, ExprPtr lhs, ExprPtr rhs, int line);
    ExprPtr parse_or();
    ExprPtr parse_and();
    ExprPtr parse_not();
    ExprPtr parse_compare();
    ExprPtr parse_math1();
    ExprPtr parse_concat();
    ExprPtr parse_math2();
    ExprPtr parse_pow();
    ExprPtr parse_unary(bool with_filter);
    ExprPtr parse_primary();
    ExprPtr parse_paren();
    ExprPtr parse_list();
    ExprPtr parse_dict();
    ExprPtr parse_postfix(ExprPtr e);
    ExprPtr parse_subscript(ExprPtr obj, int line);
    void parse_call_args(Expr &call);
    ExprPtr parse_filter_expr(ExprPtr e);
    ExprPtr parse_test(ExprPtr subject, int line);

    TokenStream &ts_;
};

}  // namespace llmrt::jinja
