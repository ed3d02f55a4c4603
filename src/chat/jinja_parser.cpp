#include "chat/jinja_parser.h"

#include <set>

#include "chat/jinja_expr_parser.h"
#include "chat/jinja_token_stream.h"

namespace llmrt::jinja {

namespace {

// The statements: text, {{ output }}, and the tags if/elif/else, for/else (with loop filters and
// unpacking), set (also ns.attr and block set), macro, filter, generation, break, continue.
class Parser {
public:
    explicit Parser(std::vector<Token> tokens) : ts_(std::move(tokens)) {}

    Body parse_all() {
        std::string end;
        Body body = parse_body({}, end);
        if (cur().type != Tok::Eof) fail("unexpected token");
        return body;
    }

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
    void expect_block_end() { expect(Tok::BlockEnd, "end of statement block"); }

    // ---- statements ----
    // Parses until one of end_tags opens a block (left unconsumed after its name) or the template ends.
    Body parse_body(const std::set<std::string> &end_tags, std::string &found) {
        TokenStream::DepthGuard guard(ts_);
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
                s->expr = expr_.parse_tuple_or_expr();
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
        ExprPtr cond = expr_.parse_tuple_or_expr();
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
            cond = expr_.parse_tuple_or_expr();
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
        s.expr = expr_.parse_tuple_or_expr(false);
        if (is_name("if")) {
            next();
            s.cond = expr_.parse_expression();
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
            s.expr = expr_.parse_tuple_or_expr();
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
                def = expr_.parse_expression();
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
        s.expr = expr_.parse_filter(nullptr, cur().line);
        while (is_op("|")) s.expr = expr_.parse_filter(std::move(s.expr), cur().line);
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

    TokenStream ts_;
    ExprParser expr_{ts_};
};

}  // namespace

Body parse_template(const std::string &source) { return Parser(tokenize(source)).parse_all(); }

}  // namespace llmrt::jinja
