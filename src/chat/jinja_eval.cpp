// Walks the syntax tree: statements write to an output string, expressions compute Values.
// Scoping follows Jinja2: a for loop and a macro call get their own frame (assignments inside do
// not leak out); if blocks share the enclosing frame; names not found resolve to undefined.
#include <cmath>

#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"
#include "chat/jinja_globals.h"
#include "chat/jinja_operators.h"
#include "chat/jinja_parser.h"
#include "chat/jinja_template.h"

namespace llmrt::jinja {

namespace {

// Deeper macro recursion than a real template needs; Python would raise RecursionError.
constexpr int kMaxCallDepth = 100;

struct Frame {
    std::shared_ptr<Frame> parent;
    DictData vars;
};
using FramePtr = std::shared_ptr<Frame>;

enum class Flow { Normal, Break, Continue };

class Interpreter;

class Macro : public Callable {
public:
    // The closure is weak: the defining frame holds the macro, so a strong pointer would be a cycle.
    Macro(const Interpreter &interp, const Stmt &def, const FramePtr &closure)
        : interp_(interp), def_(def), closure_(closure) {}
    Value call(const Args &args, const Kwargs &kwargs) const override;
    std::string type_name() const override { return "Macro"; }

private:
    const Interpreter &interp_;
    const Stmt &def_;
    std::weak_ptr<Frame> closure_;
};

class Interpreter {
public:

    void exec_macro(const Stmt &def, const FramePtr &frame, std::string &out) const {
        if (++call_depth_ > kMaxCallDepth) raise("RecursionError", "maximum macro recursion depth exceeded");
        struct Restore {
            int &d;
            ~Restore() { --d; }
        } restore{call_depth_};
        exec_body(def.body, frame, out);
    }

    Flow exec_body(const Body &body, const FramePtr &frame, std::string &out) const {
        for (const auto &s : body) {
            const Flow f = exec(*s, frame, out);
            if (f != Flow::Normal) return f;
        }
        return Flow::Normal;
    }

    Value eval(const Expr &e, const FramePtr &frame) const;

private:
    Flow exec(const Stmt &s, const FramePtr &frame, std::string &out) const {
        switch (s.kind) {
            case Stmt::Kind::Text: out += s.text; return Flow::Normal;
            case Stmt::Kind::Output: out += to_str(eval(*s.expr, frame)); return Flow::Normal;
            case Stmt::Kind::If:
                for (const auto &branch : s.branches)
                    if (!branch.first || eval(*branch.first, frame).truthy()) return exec_body(branch.second, frame, out);
                return Flow::Normal;
            case Stmt::Kind::For: exec_for(s, frame, out); return Flow::Normal;
            case Stmt::Kind::Set: assign(s, eval(*s.expr, frame), frame); return Flow::Normal;
            case Stmt::Kind::SetBlock: {
                std::string captured;
                exec_body(s.body, frame, captured);
                assign(s, Value::string(captured), frame);
                return Flow::Normal;
            }
            case Stmt::Kind::Macro:
                frame->vars.set(s.text, Value::callable(std::make_shared<Macro>(*this, s, frame)));
                return Flow::Normal;
            case Stmt::Kind::FilterBlock: {
                std::string captured;
                exec_body(s.body, frame, captured);
                out += to_str(apply_filter_chain(*s.expr, Value::string(captured), frame));
                return Flow::Normal;
            }
            case Stmt::Kind::Scope: return exec_body(s.body, frame, out);
            case Stmt::Kind::Break: return Flow::Break;
            case Stmt::Kind::Continue: return Flow::Continue;
        }
        return Flow::Normal;
    }

    void assign(const Stmt &s, const Value &v, const FramePtr &frame) const {
        if (!s.attr.empty()) {
            const Value ns = lookup(s.targets[0], frame);
            if (ns.kind() != Value::Kind::Namespace)
                raise("TemplateRuntimeError", "cannot assign attribute on non-namespace object");
            ns.dict_data_mut().set(s.attr, v);
            return;
        }
        bind_targets(s.targets, v, *frame);
    }

    static void bind_targets(const std::vector<std::string> &targets, const Value &v, Frame &frame) {
        if (targets.size() == 1) {
            frame.vars.set(targets[0], v);
            return;
        }
        const std::vector<Value> items = iterate(v);
        if (items.size() != targets.size())
            raise("ValueError", items.size() < targets.size()
                                    ? "not enough values to unpack (expected " + std::to_string(targets.size()) + ", got " + std::to_string(items.size()) + ")"
                                    : "too many values to unpack (expected " + std::to_string(targets.size()) + ")");
        for (size_t i = 0; i < targets.size(); ++i) frame.vars.set(targets[i], items[i]);
    }

    // Each iteration gets a fresh frame: what the body sets is gone at the next iteration (reads
    // before a set see the enclosing value again), as in Jinja2.
    void exec_for(const Stmt &s, const FramePtr &frame, std::string &out) const {
        const Value seq = eval(*s.expr, frame);
        std::vector<Value> items = iterate(seq);
        const auto iteration_frame = [&](const Value &item) {
            auto f = std::make_shared<Frame>();
            f->parent = frame;
            bind_targets(s.targets, item, *f);
            return f;
        };
        if (s.cond) {  // "for x in xs if cond": filtered before the loop counts
            std::vector<Value> kept;
            for (const auto &item : items)
                if (eval(*s.cond, iteration_frame(item)).truthy()) kept.push_back(item);
            items = std::move(kept);
        }
        const size_t n = items.size();
        for (size_t i = 0; i < n; ++i) {
            const FramePtr f = iteration_frame(items[i]);
            f->vars.set("loop", loop_value(items, i));
            if (exec_body(s.body, f, out) == Flow::Break) break;
        }
        if (n == 0) exec_body(s.else_body, frame, out);
    }

    static Value loop_value(const std::vector<Value> &items, size_t i) {
        const size_t n = items.size();
        auto d = std::make_shared<DictData>();
        const auto num = [](size_t x) { return Value::integer(static_cast<int64_t>(x)); };
        d->set("index", num(i + 1));
        d->set("index0", num(i));
        d->set("revindex", num(n - i));
        d->set("revindex0", num(n - i - 1));
        d->set("first", Value::boolean(i == 0));
        d->set("last", Value::boolean(i + 1 == n));
        d->set("length", num(n));
        d->set("depth", num(1));
        d->set("depth0", num(0));
        d->set("previtem", i > 0 ? items[i - 1] : Value::undefined("there is no previous item"));
        d->set("nextitem", i + 1 < n ? items[i + 1] : Value::undefined("there is no next item"));
        return Value::dict(d);
    }

    Value lookup(const std::string &name, const FramePtr &frame) const {
        for (const Frame *f = frame.get(); f; f = f->parent.get())
            if (const Value *v = f->vars.find(name)) return *v;
        return Value::undefined("'" + name + "' is undefined");
    }

    Value apply_filter_chain(const Expr &f, const Value &subject, const FramePtr &frame) const {
        const Value in = f.args[0] ? apply_filter_chain(*f.args[0], subject, frame) : subject;
        return call_filter(f, in, frame);
    }

    Value call_filter(const Expr &f, const Value &subject, const FramePtr &frame) const {
        Args args;
        Kwargs kwargs;
        eval_args(f, 1, frame, args, kwargs);
        return apply_filter(f.name, subject, args, kwargs);
    }

    void eval_args(const Expr &e, size_t from, const FramePtr &frame, Args &args, Kwargs &kwargs) const {
        for (size_t i = from; i < e.args.size(); ++i) args.push_back(eval(*e.args[i], frame));
        for (const auto &kv : e.kwargs) kwargs.emplace_back(kv.first, eval(*kv.second, frame));
    }

    Value eval_call(const Expr &e, const FramePtr &frame) const {
        const Value callee = eval(*e.args[0], frame);
        Args args;
        Kwargs kwargs;
        eval_args(e, 1, frame, args, kwargs);
        if (callee.kind() == Value::Kind::Callable) return callee.fn().call(args, kwargs);
        if (callee.is_undefined()) undefined_error(callee);
        raise("TypeError", "'" + callee.type_name() + "' object is not callable");
    }

    Value eval_binary(const Expr &e, const FramePtr &frame) const {
        const Value lhs = eval(*e.args[0], frame);
        if (e.name == "and") return lhs.truthy() ? eval(*e.args[1], frame) : lhs;
        if (e.name == "or") return lhs.truthy() ? lhs : eval(*e.args[1], frame);
        return binary_op(e.name, lhs, eval(*e.args[1], frame));
    }

    mutable int call_depth_ = 0;
    friend class Macro;
};

Value Interpreter::eval(const Expr &e, const FramePtr &frame) const {
    switch (e.kind) {
        case Expr::Kind::Literal: return e.literal;
        case Expr::Kind::Name: return lookup(e.name, frame);
        case Expr::Kind::List:
        case Expr::Kind::Tuple: {
            std::vector<Value> items;
            for (const auto &a : e.args) items.push_back(eval(*a, frame));
            return Value::list(std::move(items), e.kind == Expr::Kind::Tuple ? SeqKind::Tuple : SeqKind::List);
        }
        case Expr::Kind::Dict: {
            auto d = std::make_shared<DictData>();
            for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
                const Value key = eval(*e.args[i], frame);
                if (!key.is_string()) raise("TypeError", "only string keys are supported in dict literals");
                d->set(key.str(), eval(*e.args[i + 1], frame));
            }
            return Value::dict(d);
        }
        case Expr::Kind::Attr: return get_attr(eval(*e.args[0], frame), e.name);
        case Expr::Kind::Item: return get_item(eval(*e.args[0], frame), eval(*e.args[1], frame));
        case Expr::Kind::Slice: {
            const auto opt = [&](size_t i) { return e.args[i] ? eval(*e.args[i], frame) : Value(); };
            return slice(eval(*e.args[0], frame), opt(1), opt(2), opt(3));
        }
        case Expr::Kind::Call: return eval_call(e, frame);
        case Expr::Kind::Filter: return call_filter(e, eval(*e.args[0], frame), frame);
        case Expr::Kind::Test: {
            Args args;
            Kwargs kwargs;
            eval_args(e, 1, frame, args, kwargs);
            return Value::boolean(apply_test(e.name, eval(*e.args[0], frame), args) != e.negated);
        }
        case Expr::Kind::Unary: return unary_op(e.name, eval(*e.args[0], frame));
        case Expr::Kind::Binary: return eval_binary(e, frame);
        case Expr::Kind::Cond:
            if (eval(*e.args[1], frame).truthy()) return eval(*e.args[0], frame);
            return e.args[2] ? eval(*e.args[2], frame) : Value::undefined("the inline if-expression evaluated to false and no else section was defined.");
    }
    return Value();
}

Value Macro::call(const Args &args, const Kwargs &kwargs) const {
    auto frame = std::make_shared<Frame>();
    frame->parent = closure_.lock();
    if (!frame->parent) raise("TemplateRuntimeError", "macro '" + def_.text + "' called outside its scope");
    if (args.size() > def_.params.size())
        raise("TypeError", "macro '" + def_.text + "' takes not more than " + std::to_string(def_.params.size()) + " argument(s)");
    for (size_t i = 0; i < def_.params.size(); ++i) {
        const auto &param = def_.params[i];
        Value v = Value::undefined("parameter '" + param.first + "' was not provided");
        if (i < args.size()) v = args[i];
        else if (param.second) v = interp_.eval(*param.second, frame);
        for (const auto &kv : kwargs)
            if (kv.first == param.first) v = kv.second;
        frame->vars.set(param.first, v);
    }
    for (const auto &kv : kwargs) {
        bool known = false;
        for (const auto &p : def_.params) known = known || p.first == kv.first;
        if (!known) raise("TypeError", "macro '" + def_.text + "' takes no keyword argument '" + kv.first + "'");
    }
    std::string out;
    interp_.exec_macro(def_, frame, out);
    return Value::string(out);
}

// Jinja2 refuses, when compiling, a template that names an unknown filter or test, except inside
// an if statement or an inline if, where the check waits until it runs. Do the same, so that a typo
// fails every render, not only some.
void check_names(const Expr *e) {
    if (!e || e->kind == Expr::Kind::Cond) return;
    if (e->kind == Expr::Kind::Filter && !has_filter(e->name))
        raise("TemplateAssertionError", "No filter named '" + e->name + "'.");
    if (e->kind == Expr::Kind::Test && !has_test(e->name))
        raise("TemplateAssertionError", "No test named '" + e->name + "'.");
    for (const auto &a : e->args) check_names(a.get());
    for (const auto &kv : e->kwargs) check_names(kv.second.get());
}

void check_names(const Body &body) {
    for (const auto &s : body) {
        if (s->kind == Stmt::Kind::If) continue;
        check_names(s->expr.get());
        check_names(s->cond.get());
        for (const auto &p : s->params) check_names(p.second.get());
        check_names(s->body);
        check_names(s->else_body);
    }
}

}  // namespace

Template::Template(const std::string &source) : body_(parse_template(source)) { check_names(body_); }

std::string Template::render(const Value &vars, const std::tm &now) const {
    const Interpreter interp{};
    auto globals = std::make_shared<Frame>();
    install_globals(globals->vars, now);
    auto root = std::make_shared<Frame>();
    root->parent = globals;
    if (vars.is_mapping()) root->vars = vars.dict_data();
    std::string out;
    interp.exec_body(body_, root, out);
    return out;
}

}  // namespace llmrt::jinja
