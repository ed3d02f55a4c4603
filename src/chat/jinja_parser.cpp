#include "chat/jinja_parser.h"

#include <cstdlib>
#include <set>

#include "chat/jinja_error.h"
#include "chat/jinja_lexer.h"

namespace llmrt::jinja {

namespace {

// Deeper nesting than any real template; stops malformed input from exhausting the stack.
constexpr int kMaxDepth = 200;

class Parser {
public:
    explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

    Body parse_all() {
        std::string end;
        Body body = parse_body({}, end);
        if (cur().type != Tok::Eof) fail("unexpected token");
        return body;
    }

private:
    // ---- token helpers ----
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
    void expect_block_end() { expect(Tok::BlockEnd, "end of statement block"); }

    struct DepthGuard {
        explicit DepthGuard(Parser &p) : p_(p) {
            if (++p_.depth_ > kMaxDepth) raise("TemplateSyntaxError", "template nested too deeply");
        }
        ~DepthGuard() { --p_.depth_; }
        Parser &p_;
    };

    static ExprPtr node(Expr::Kind kind, int line) {
        auto e = std::make_unique<Expr>();
        e->kind = kind;
        e->line = line;
        return e;
    }

    // ---- statements ----
    // Parses until one of end_tags opens a block (left unconsumed after its name) or the template ends.
    Body parse_body(const std::set<std::string> &end_tags, std::string &found) {
        DepthGuard guard(*this);
        Body body;
        for (;;) {
            const Token &t = cur();
            if (t.type == Tok::Eof) {
                if (!end_tags.empty()) fail("unexpected end of template, expected '" + *end_tags.begin() + "'");
                return body;
            }
            if (t.type == Tok::Text) {
                auto s = std::make_unique<Stmt>();
                s->kind = Stmt::Kind::Text;
                s->text = t.text;
                body.push_back(std::move(s));
                next();
            } else if (t.type == Tok::VarBegin) {
                auto s = std::make_unique<Stmt>();
                s->kind = Stmt::Kind::Output;
                s->line = t.line;
                next();
                s->expr = parse_tuple_or_expr();
                expect(Tok::VarEnd, "end of print statement");
                body.push_back(std::move(s));
            } else if (t.type == Tok::BlockBegin) {
                next();
                if (cur().type == Tok::Name && end_tags.count(cur().text)) {
                    found = cur().text;
                    next();
                    return body;
                }
                body.push_back(parse_statement());
            } else {
                fail("unexpected token");
            }
        }
    }

    StmtPtr parse_statement() {
        const int line = cur().line;
        const std::string tag = expect_name();
        auto s = std::make_unique<Stmt>();
        s->line = line;
        if (tag == "if") parse_if(*s);
        else if (tag == "for") parse_for(*s);
        else if (tag == "set") parse_set(*s);
        else if (tag == "macro") parse_macro(*s);
        else if (tag == "filter") parse_filter_block(*s);
        else if (tag == "generation") parse_scope(*s, "endgeneration");
        else if (tag == "break" || tag == "continue") {
            s->kind = tag == "break" ? Stmt::Kind::Break : Stmt::Kind::Continue;
            expect_block_end();
        } else {
            raise("TemplateSyntaxError", "Encountered unknown tag '" + tag + "' (line " + std::to_string(line) + ")");
        }
        return s;
    }

    void parse_if(Stmt &s) {
        s.kind = Stmt::Kind::If;
        ExprPtr cond = parse_tuple_or_expr();
        for (;;) {
            expect_block_end();
            std::string found;
            Body body = parse_body({"elif", "else", "endif"}, found);
            s.branches.emplace_back(std::move(cond), std::move(body));
            if (found == "endif") break;
            if (found == "else") {
                expect_block_end();
                Body else_body = parse_body({"endif"}, found);
                s.branches.emplace_back(nullptr, std::move(else_body));
                break;
            }
            cond = parse_tuple_or_expr();
        }
        expect_block_end();
    }

    void parse_for(Stmt &s) {
        s.kind = Stmt::Kind::For;
        do {
            s.targets.push_back(expect_name());
        } while (is_op(",") && (next(), true));
        if (!is_name("in")) fail("expected 'in'");
        next();
        s.expr = parse_tuple_or_expr(false);
        if (is_name("if")) {
            next();
            s.cond = parse_expression();
        }
        if (is_name("recursive")) fail("recursive loops are not supported");
        expect_block_end();
        std::string found;
        s.body = parse_body({"else", "endfor"}, found);
        if (found == "else") {
            expect_block_end();
            s.else_body = parse_body({"endfor"}, found);
        }
        expect_block_end();
    }

    void parse_set(Stmt &s) {
        s.targets.push_back(expect_name());
        if (is_op(".")) {
            next();
            s.attr = expect_name();
        } else {
            while (is_op(",")) {
                next();
                s.targets.push_back(expect_name());
            }
        }
        if (is_op("=")) {
            next();
            s.kind = Stmt::Kind::Set;
            s.expr = parse_tuple_or_expr();
            expect_block_end();
            return;
        }
        s.kind = Stmt::Kind::SetBlock;
        expect_block_end();
        std::string found;
        s.body = parse_body({"endset"}, found);
        expect_block_end();
    }

    void parse_macro(Stmt &s) {
        s.kind = Stmt::Kind::Macro;
        s.text = expect_name();
        expect_op("(");
        while (!is_op(")")) {
            if (!s.params.empty()) expect_op(",");
            if (is_op(")")) break;
            std::string name = expect_name();
            ExprPtr def;
            if (is_op("=")) {
                next();
                def = parse_expression();
            }
            s.params.emplace_back(std::move(name), std::move(def));
        }
        next();
        expect_block_end();
        std::string found;
        s.body = parse_body({"endmacro"}, found);
        if (cur().type == Tok::Name && cur().text == s.text) next();
        expect_block_end();
    }

    void parse_filter_block(Stmt &s) {
        s.kind = Stmt::Kind::FilterBlock;
        s.expr = parse_filter(nullptr, cur().line);
        while (is_op("|")) s.expr = parse_filter(std::move(s.expr), cur().line);
        expect_block_end();
        std::string found;
        s.body = parse_body({"endfilter"}, found);
        expect_block_end();
    }

    void parse_scope(Stmt &s, const char *end) {
        s.kind = Stmt::Kind::Scope;
        expect_block_end();
        std::string found;
        s.body = parse_body({end}, found);
        expect_block_end();
    }

    // ---- expressions (jinja2/parser.py's precedence) ----
    ExprPtr parse_tuple_or_expr(bool allow_cond = true) {
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

    ExprPtr parse_expression() {
        DepthGuard guard(*this);
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

    ExprPtr binary(const std::string &op, ExprPtr lhs, ExprPtr rhs, int line) {
        ExprPtr b = node(Expr::Kind::Binary, line);
        b->name = op;
        b->args.push_back(std::move(lhs));
        b->args.push_back(std::move(rhs));
        return b;
    }

    ExprPtr parse_or() {
        ExprPtr lhs = parse_and();
        while (is_name("or")) {
            const int line = cur().line;
            next();
            lhs = binary("or", std::move(lhs), parse_and(), line);
        }
        return lhs;
    }

    ExprPtr parse_and() {
        ExprPtr lhs = parse_not();
        while (is_name("and")) {
            const int line = cur().line;
            next();
            lhs = binary("and", std::move(lhs), parse_not(), line);
        }
        return lhs;
    }

    ExprPtr parse_not() {
        if (is_name("not")) {
            DepthGuard guard(*this);
            const int line = cur().line;
            next();
            ExprPtr u = node(Expr::Kind::Unary, line);
            u->name = "not";
            u->args.push_back(parse_not());
            return u;
        }
        return parse_compare();
    }

    ExprPtr parse_compare() {
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

    ExprPtr parse_math1() {
        ExprPtr lhs = parse_concat();
        while (is_op("+") || is_op("-")) {
            const std::string op = cur().text;
            const int line = cur().line;
            next();
            lhs = binary(op, std::move(lhs), parse_concat(), line);
        }
        return lhs;
    }

    ExprPtr parse_concat() {
        ExprPtr lhs = parse_math2();
        while (is_op("~")) {
            const int line = cur().line;
            next();
            lhs = binary("~", std::move(lhs), parse_math2(), line);
        }
        return lhs;
    }

    ExprPtr parse_math2() {
        ExprPtr lhs = parse_pow();
        while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
            const std::string op = cur().text;
            const int line = cur().line;
            next();
            lhs = binary(op, std::move(lhs), parse_pow(), line);
        }
        return lhs;
    }

    ExprPtr parse_pow() {
        ExprPtr lhs = parse_unary(true);
        while (is_op("**")) {
            const int line = cur().line;
            next();
            lhs = binary("**", std::move(lhs), parse_unary(true), line);
        }
        return lhs;
    }

    ExprPtr parse_unary(bool with_filter) {
        DepthGuard guard(*this);
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

    ExprPtr parse_primary() {
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

    static ExprPtr literal(Value v, int line) {
        ExprPtr e = node(Expr::Kind::Literal, line);
        e->literal = std::move(v);
        return e;
    }

    ExprPtr parse_paren() {
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

    ExprPtr parse_list() {
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

    ExprPtr parse_dict() {
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

    ExprPtr parse_postfix(ExprPtr e) {
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

    ExprPtr parse_subscript(ExprPtr obj, int line) {
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

    void parse_call_args(Expr &call) {
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

    ExprPtr parse_filter(ExprPtr subject, int line) {
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

    ExprPtr parse_filter_expr(ExprPtr e) {
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

    ExprPtr parse_test(ExprPtr subject, int line) {
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

    std::vector<Token> toks_;
    size_t pos_ = 0;
    int depth_ = 0;
};

}  // namespace

Body parse_template(const std::string &source) { return Parser(tokenize(source)).parse_all(); }

}  // namespace llmrt::jinja
