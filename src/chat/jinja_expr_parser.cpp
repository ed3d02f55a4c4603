#include "chat/jinja_expr_parser.h"

#include <cstdlib>

namespace llmrt::jinja {

ExprPtr ExprParser::node(Expr::Kind kind, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    return e;
}

ExprPtr ExprParser::parse_tuple_or_expr(bool allow_cond) {
    const int line = cur().line;
    ExprPtr first = allow_cond ? parse_expression() : parse_or();
    if (!is_op(",")) return first;
    ExprPtr tuple = node(Expr::Kind::Tuple, line);
    tuple->args.push_back(std::move(first));
    while (is_op(",")) {
        next();
        if (cur().type == Tok::BlockEnd || cur().type == Tok::VarEnd || is_name("if")) break;
        tuple->args.push_back(allow_cond ? parse_expression() : parse_or());
    }
    return tuple;
}

ExprPtr ExprParser::parse_expression() {
    TokenStream::DepthGuard guard(ts_);
    const int line = cur().line;
    ExprPtr expr = parse_or();
    while (is_name("if")) {
        next();
        ExprPtr cond = parse_or();
        ExprPtr other;
        if (is_name("else")) {
            next();
            other = parse_expression();
        }
        ExprPtr c = node(Expr::Kind::Cond, line);
        c->args.push_back(std::move(expr));
        c->args.push_back(std::move(cond));
        c->args.push_back(std::move(other));
        expr = std::move(c);
    }
    return expr;
}

ExprPtr ExprParser::binary(const std::string &op, ExprPtr lhs, ExprPtr rhs, int line) {
    ExprPtr b = node(Expr::Kind::Binary, line);
    b->name = op;
    b->args.push_back(std::move(lhs));
    b->args.push_back(std::move(rhs));
    return b;
}

ExprPtr ExprParser::parse_or() {
    ExprPtr lhs = parse_and();
    while (is_name("or")) {
        const int line = cur().line;
        next();
        lhs = binary("or", std::move(lhs), parse_and(), line);
    }
    return lhs;
}

ExprPtr ExprParser::parse_and() {
    ExprPtr lhs = parse_not();
    while (is_name("and")) {
        const int line = cur().line;
        next();
        lhs = binary("and", std::move(lhs), parse_not(), line);
    }
    return lhs;
}

ExprPtr ExprParser::parse_not() {
    if (is_name("not")) {
        TokenStream::DepthGuard guard(ts_);
        const int line = cur().line;
        next();
        ExprPtr u = node(Expr::Kind::Unary, line);
        u->name = "not";
        u->args.push_back(parse_not());
        return u;
    }
    return parse_compare();
}

ExprPtr ExprParser::parse_compare() {
    ExprPtr lhs = parse_math1();
    for (;;) {
        const int line = cur().line;
        std::string op;
        if (cur().type == Tok::Op && (cur().text == "==" || cur().text == "!=" || cur().text == "<" ||
                                      cur().text == "<=" || cur().text == ">" || cur().text == ">=")) {
            op = cur().text;
            next();
        } else if (is_name("in")) {
            op = "in";
            next();
        } else if (is_name("not") && peek().type == Tok::Name && peek().text == "in") {
            op = "not in";
            next();
            next();
        } else {
            return lhs;
        }
        lhs = binary(op, std::move(lhs), parse_math1(), line);
    }
}

ExprPtr ExprParser::parse_math1() {
    ExprPtr lhs = parse_concat();
    while (is_op("+") || is_op("-")) {
        const std::string op = cur().text;
        const int line = cur().line;
        next();
        lhs = binary(op, std::move(lhs), parse_concat(), line);
    }
    return lhs;
}

ExprPtr ExprParser::parse_concat() {
    ExprPtr lhs = parse_math2();
    while (is_op("~")) {
        const int line = cur().line;
        next();
        lhs = binary("~", std::move(lhs), parse_math2(), line);
    }
    return lhs;
}

ExprPtr ExprParser::parse_math2() {
    ExprPtr lhs = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
        const std::string op = cur().text;
        const int line = cur().line;
        next();
        lhs = binary(op, std::move(lhs), parse_pow(), line);
    }
    return lhs;
}

ExprPtr ExprParser::parse_pow() {
    ExprPtr lhs = parse_unary(true);
    while (is_op("**")) {
        const int line = cur().line;
        next();
        lhs = binary("**", std::move(lhs), parse_unary(true), line);
    }
    return lhs;
}

ExprPtr ExprParser::parse_unary(bool with_filter) {
    TokenStream::DepthGuard guard(ts_);
    const int line = cur().line;
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
        e = node(Expr::Kind::Unary, line);
        e->name = cur().text;
        next();
        e->args.push_back(parse_unary(false));
    } else {
        e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    if (with_filter) e = parse_filter_expr(std::move(e));
    return e;
}

ExprPtr ExprParser::parse_primary() {
    const Token t = cur();
    switch (t.type) {
        case Tok::Name: {
            next();
            if (t.text == "true" || t.text == "True") return literal(Value::boolean(true), t.line);
            if (t.text == "false" || t.text == "False") return literal(Value::boolean(false), t.line);
            if (t.text == "none" || t.text == "None") return literal(Value::none(), t.line);
            ExprPtr n = node(Expr::Kind::Name, t.line);
            n->name = t.text;
            return n;
        }
        case Tok::String: {
            std::string s;
            while (cur().type == Tok::String) {  // adjacent literals concatenate
                s += cur().text;
                next();
            }
            return literal(Value::string(std::move(s)), t.line);
        }
        case Tok::Integer: next(); return literal(Value::integer(std::strtoll(t.text.c_str(), nullptr, 10)), t.line);
        case Tok::Float: next(); return literal(Value::number(std::strtod(t.text.c_str(), nullptr)), t.line);
        case Tok::Op:
            if (t.text == "(") return parse_paren();
            if (t.text == "[") return parse_list();
            if (t.text == "{") return parse_dict();
            break;
        default: break;
    }
    fail("unexpected token in expression");
}

ExprPtr ExprParser::literal(Value v, int line) {
    ExprPtr e = node(Expr::Kind::Literal, line);
    e->literal = std::move(v);
    return e;
}

ExprPtr ExprParser::parse_paren() {
    const int line = cur().line;
    next();
    if (is_op(")")) {
        next();
        return node(Expr::Kind::Tuple, line);
    }
    ExprPtr first = parse_expression();
    if (is_op(")")) {
        next();
        return first;
    }
    ExprPtr tuple = node(Expr::Kind::Tuple, line);
    tuple->args.push_back(std::move(first));
    while (is_op(",")) {
        next();
        if (is_op(")")) break;
        tuple->args.push_back(parse_expression());
    }
    expect_op(")");
    return tuple;
}

ExprPtr ExprParser::parse_list() {
    ExprPtr list = node(Expr::Kind::List, cur().line);
    next();
    while (!is_op("]")) {
        if (!list->args.empty()) expect_op(",");
        if (is_op("]")) break;
        list->args.push_back(parse_expression());
    }
    next();
    return list;
}

ExprPtr ExprParser::parse_dict() {
    ExprPtr dict = node(Expr::Kind::Dict, cur().line);
    next();
    while (!is_op("}")) {
        if (!dict->args.empty()) expect_op(",");
        if (is_op("}")) break;
        dict->args.push_back(parse_expression());
        expect_op(":");
        dict->args.push_back(parse_expression());
    }
    next();
    return dict;
}

ExprPtr ExprParser::parse_postfix(ExprPtr e) {
    for (;;) {
        const int line = cur().line;
        if (is_op(".")) {
            next();
            ExprPtr a;
            if (cur().type == Tok::Integer) {
                a = node(Expr::Kind::Item, line);
                a->args.push_back(std::move(e));
                a->args.push_back(literal(Value::integer(std::strtoll(cur().text.c_str(), nullptr, 10)), line));
                next();
            } else {
                a = node(Expr::Kind::Attr, line);
                a->name = expect_name();
                a->args.push_back(std::move(e));
            }
            e = std::move(a);
        } else if (is_op("[")) {
            next();
            e = parse_subscript(std::move(e), line);
        } else if (is_op("(")) {
            ExprPtr c = node(Expr::Kind::Call, line);
            c->args.push_back(std::move(e));
            parse_call_args(*c);
            e = std::move(c);
        } else {
            return e;
        }
    }
}

ExprPtr ExprParser::parse_subscript(ExprPtr obj, int line) {
    ExprPtr parts[3];
    int n = 0;
    bool slice = false;
    for (;;) {
        if (!is_op(":") && !is_op("]")) parts[n] = parse_expression();
        if (is_op(":")) {
            slice = true;
            if (++n > 2) fail("invalid slice");
            next();
            continue;
        }
        break;
    }
    expect_op("]");
    ExprPtr s = node(slice ? Expr::Kind::Slice : Expr::Kind::Item, line);
    s->args.push_back(std::move(obj));
    if (!slice) {
        if (!parts[0]) fail("empty subscript");
        s->args.push_back(std::move(parts[0]));
    } else {
        for (auto &p : parts) s->args.push_back(std::move(p));
    }
    return s;
}

void ExprParser::parse_call_args(Expr &call) {
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
        if (!first) expect_op(",");
        first = false;
        if (is_op(")")) break;
        if (cur().type == Tok::Name && peek().type == Tok::Op && peek().text == "=") {
            std::string key = cur().text;
            next();
            next();
            call.kwargs.emplace_back(std::move(key), parse_expression());
        } else {
            if (!call.kwargs.empty()) fail("positional argument after keyword argument");
            call.args.push_back(parse_expression());
        }
    }
    next();
}

ExprPtr ExprParser::parse_filter(ExprPtr subject, int line) {
    if (is_op("|")) next();
    ExprPtr f = node(Expr::Kind::Filter, line);
    f->name = expect_name();
    while (is_op(".")) {
        next();
        f->name += "." + expect_name();
    }
    f->args.push_back(std::move(subject));
    if (is_op("(")) parse_call_args(*f);
    return f;
}

ExprPtr ExprParser::parse_filter_expr(ExprPtr e) {
    for (;;) {
        const int line = cur().line;
        if (is_op("|")) {
            e = parse_filter(std::move(e), line);
        } else if (is_name("is")) {
            next();
            e = parse_test(std::move(e), line);
        } else {
            return e;
        }
    }
}

ExprPtr ExprParser::parse_test(ExprPtr subject, int line) {
    ExprPtr t = node(Expr::Kind::Test, line);
    if (is_name("not")) {
        t->negated = true;
        next();
    }
    t->name = expect_name();
    t->args.push_back(std::move(subject));
    if (is_op("(")) {
        parse_call_args(*t);
    } else if ((cur().type == Tok::Name || cur().type == Tok::String || cur().type == Tok::Integer ||
                cur().type == Tok::Float || is_op("[") || is_op("{")) &&
               !is_name("else") && !is_name("or") && !is_name("and") && !is_name("if") && !is_name("in") &&
               !is_name("not") && !is_name("is")) {
        t->args.push_back(parse_postfix(parse_primary()));
    }
    return t;
}

}  // namespace llmrt::jinja
