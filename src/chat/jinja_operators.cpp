#include "chat/jinja_operators.h"

#include <cmath>
#include <utility>

#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"

namespace llmrt::jinja {

namespace {

[[noreturn]] void unsupported(const std::string &op, const Value &a, const Value &b) {
    raise("TypeError", "unsupported operand type(s) for " + op + ": '" + a.type_name() + "' and '" + b.type_name() + "'");
}

bool is_float(const Value &v) { return v.kind() == Value::Kind::Float; }

// Python's floor division and modulo (the result takes the divisor's sign).
int64_t floor_div(int64_t a, int64_t b) {
    const int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// CPython's float_divmod: the remainder from fmod, so 3 // 0.1 is 29.0 as in Python.
std::pair<double, double> float_divmod(double x, double y) {
    double mod = std::fmod(x, y);
    double div = (x - mod) / y;
    if (mod != 0.0) {
        if ((y < 0) != (mod < 0)) {
            mod += y;
            div -= 1.0;
        }
    } else {
        mod = std::copysign(0.0, y);
    }
    double floordiv;
    if (div != 0.0) {
        floordiv = std::floor(div);
        if (div - floordiv > 0.5) floordiv += 1.0;
    } else {
        floordiv = std::copysign(0.0, x / y);
    }
    return {floordiv, mod};
}

Value arithmetic(const std::string &op, const Value &a, const Value &b) {
    if (!a.is_number() || !b.is_number()) unsupported(op, a, b);
    const bool fl = is_float(a) || is_float(b);
    if (op == "/") {
        if (b.as_float() == 0.0) raise("ZeroDivisionError", "division by zero");
        return Value::number(a.as_float() / b.as_float());
    }
    if (op == "//" || op == "%") {
        if (b.as_float() == 0.0) raise("ZeroDivisionError", op == "%" ? "integer modulo by zero" : "integer division or modulo by zero");
        if (fl) {
            const auto [q, m] = float_divmod(a.as_float(), b.as_float());
            return Value::number(op == "//" ? q : m);
        }
        const int64_t q = floor_div(a.as_int(), b.as_int());
        return op == "//" ? Value::integer(q) : Value::integer(a.as_int() - q * b.as_int());
    }
    if (op == "**") {
        if (!fl && b.as_int() >= 0) {
            int64_t r = 1;
            for (int64_t i = 0; i < b.as_int(); ++i) r *= a.as_int();
            return Value::integer(r);
        }
        return Value::number(std::pow(a.as_float(), b.as_float()));
    }
    if (fl) {
        const double x = a.as_float(), y = b.as_float();
        return Value::number(op == "+" ? x + y : op == "-" ? x - y : x * y);
    }
    const int64_t x = a.as_int(), y = b.as_int();
    return Value::integer(op == "+" ? x + y : op == "-" ? x - y : x * y);
}

Value add(const Value &a, const Value &b) {
    if (a.is_string() && b.is_string()) {
        if (a.is_markup() || b.is_markup())
            return Value::markup((a.is_markup() ? a.str() : html_escape(a.str())) +
                                 (b.is_markup() ? b.str() : html_escape(b.str())));
        return Value::string(a.str() + b.str());
    }
    if (a.is_list() && b.is_list() && a.seq_kind() == b.seq_kind() && a.seq_kind() != SeqKind::Generator) {
        std::vector<Value> items = a.items();
        items.insert(items.end(), b.items().begin(), b.items().end());
        return Value::list(std::move(items), a.seq_kind());
    }
    if (a.is_number() && b.is_number()) return arithmetic("+", a, b);
    if (a.is_string()) raise("TypeError", "can only concatenate str (not \"" + b.type_name() + "\") to str");
    if (a.is_list() && a.seq_kind() != SeqKind::Generator)
        raise("TypeError", "can only concatenate " + a.type_name() + " (not \"" + b.type_name() + "\") to " + a.type_name());
    unsupported("+", a, b);
}

Value repeat(const Value &seq, int64_t n) {
    if (seq.is_string()) {
        std::string out;
        for (int64_t i = 0; i < n; ++i) out += seq.str();
        return Value::string(out);
    }
    std::vector<Value> items;
    for (int64_t i = 0; i < n; ++i) items.insert(items.end(), seq.items().begin(), seq.items().end());
    return Value::list(std::move(items), seq.seq_kind());
}

bool contains(const Value &hay, const Value &needle) {
    switch (hay.kind()) {
        case Value::Kind::Undefined: return false;
        case Value::Kind::String:
            if (!needle.is_string())
                raise("TypeError", "'in <string>' requires string as left operand, not " + needle.type_name());
            return hay.str().find(needle.str()) != std::string::npos;
        case Value::Kind::List:
            for (const auto &x : hay.items())
                if (equals(x, needle)) return true;
            return false;
        case Value::Kind::Dict:
            if ((needle.is_list() && needle.seq_kind() == SeqKind::List) || needle.is_dict())
                raise("TypeError", "unhashable type: '" + needle.type_name() + "'");
            return needle.is_string() && hay.dict_data().find(needle.str()) != nullptr;
        default: raise("TypeError", "argument of type '" + hay.type_name() + "' is not iterable");
    }
}

}  // namespace

Value binary_op(const std::string &op, const Value &a, const Value &b) {
    if (op == "~") return Value::string(to_str(a) + to_str(b));
    if (op == "==") return Value::boolean(equals(a, b));
    if (op == "!=") return Value::boolean(!equals(a, b));
    if (op == "in") return Value::boolean(contains(b, a));
    if (op == "not in") return Value::boolean(!contains(b, a));
    // Every other operator on an undefined value raises, as jinja2.Undefined does.
    if (a.is_undefined()) undefined_error(a);
    if (b.is_undefined()) undefined_error(b);
    if (op == "<") return Value::boolean(less_than(a, b));
    if (op == ">") return Value::boolean(less_than(b, a));
    if (op == "<=") return Value::boolean(!less_than(b, a));
    if (op == ">=") return Value::boolean(!less_than(a, b));
    if (op == "+") return add(a, b);
    if (op == "*") {
        const auto is_count = [](const Value &v) { return v.kind() == Value::Kind::Int || v.kind() == Value::Kind::Bool; };
        if ((a.is_string() || a.is_list()) && is_count(b)) return repeat(a, b.as_int());
        if ((b.is_string() || b.is_list()) && is_count(a)) return repeat(b, a.as_int());
    }
    if (op == "%" && a.is_string()) raise("TypeError", "printf-style string formatting is not supported");
    return arithmetic(op, a, b);
}

Value unary_op(const std::string &op, const Value &v) {
    if (op == "not") return Value::boolean(!v.truthy());
    if (v.is_undefined()) undefined_error(v);
    if (!v.is_number()) raise("TypeError", "bad operand type for unary " + op + ": '" + v.type_name() + "'");
    if (op == "+") return v.kind() == Value::Kind::Bool ? Value::integer(v.as_int()) : v;
    return is_float(v) ? Value::number(-v.as_float()) : Value::integer(-v.as_int());
}

}  // namespace llmrt::jinja
