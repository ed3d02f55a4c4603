// Jinja2's built-in filters and tests (jinja2/filters.py, jinja2/tests.py), plus the tojson
// override transformers installs (json.dumps with ensure_ascii=False, no HTML escaping).
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"
#include "chat/jinja_operators.h"
#include "chat/jinja_strings.h"

namespace llmrt::jinja {

namespace {

// Positional argument n, else keyword `name`, else the default.
Value arg(const Args &args, const Kwargs &kwargs, size_t n, const char *name, Value def = Value()) {
    if (n < args.size()) return args[n];
    for (const auto &kv : kwargs)
        if (kv.first == name) return kv.second;
    return def;
}

// jinja2's title filter: upper-cases the first character of each piece after -, whitespace, (, {,
// [ or <, lower-cases the rest (not Python's str.title).
std::string jinja_title(const std::string &s) {
    std::string out;
    bool start = true;
    for (const auto &cp : utf8_chars(s)) {
        size_t len = 0;
        const bool sep = cp == "-" || cp == "(" || cp == "{" || cp == "[" || cp == "<" ||
                         (is_py_whitespace_at(cp, 0, len) && len == cp.size());
        if (sep) {
            out += cp;
            start = true;
        } else {
            out += start ? py_upper(cp) : py_lower(cp);
            start = false;
        }
    }
    return out;
}

int64_t length_of(const Value &v) {
    switch (v.kind()) {
        case Value::Kind::Undefined: return 0;
        case Value::Kind::String: return static_cast<int64_t>(utf8_chars(v.str()).size());
        case Value::Kind::List:
            if (v.seq_kind() == SeqKind::Generator) raise("TypeError", "object of type 'generator' has no len()");
            return static_cast<int64_t>(v.items().size());
        case Value::Kind::Dict: return static_cast<int64_t>(v.dict_data().items.size());
        default: raise("TypeError", "object of type '" + v.type_name() + "' has no len()");
    }
}

// Jinja2's make_attrgetter: "a.b.0" walks items (then attributes); integer parts index.
Value attr_path(const Value &v, const std::string &path) {
    Value cur = v;
    size_t pos = 0;
    for (;;) {
        const size_t dot = path.find('.', pos);
        const std::string part = path.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
        const bool digits = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
        cur = get_item(cur, digits ? Value::integer(std::stoll(part)) : Value::string(part));
        if (dot == std::string::npos) return cur;
        pos = dot + 1;
    }
}

Value generator(std::vector<Value> items) { return Value::list(std::move(items), SeqKind::Generator); }

std::string indent_filter(const std::string &text, const Value &width, bool first, bool blank) {
    const std::string pad = width.is_string() ? width.str() : std::string(static_cast<size_t>(std::max<int64_t>(0, width.as_int())), ' ');
    // jinja2 appends a newline first so that splitlines keeps a trailing empty line.
    const auto lines = py_splitlines(text + "\n");
    std::string out;
    for (size_t i = 0; i < lines.size(); ++i) {
        if (i == 0) {
            out = lines[0];
            continue;
        }
        out += "\n";
        if (blank || !lines[i].empty()) out += pad;
        out += lines[i];
    }
    if (first) out = pad + out;
    return out;
}

Value tojson_filter(const Value &v, const Args &args, const Kwargs &kwargs) {
    JsonStyle style;
    const Value ascii = arg(args, kwargs, 0, "ensure_ascii");
    style.ensure_ascii = ascii.truthy();
    const Value indent = arg(args, kwargs, 1, "indent");
    if (!indent.is_undefined() && !indent.is_none()) style.indent = static_cast<int>(indent.as_int());
    const Value seps = arg(args, kwargs, 2, "separators");
    if (seps.is_list() && seps.items().size() == 2) {
        style.item_sep = to_str(seps.items()[0]);
        style.key_sep = to_str(seps.items()[1]);
    } else {
        style.item_sep = style.indent >= 0 ? "," : ", ";
        style.key_sep = ": ";
    }
    style.sort_keys = arg(args, kwargs, 3, "sort_keys").truthy();
    return Value::string(to_json(v, style));
}

Value join_filter(const Value &v, const Args &args, const Kwargs &kwargs) {
    const std::string sep = to_str(arg(args, kwargs, 0, "d", Value::string("")));
    const Value attribute = arg(args, kwargs, 1, "attribute");
    std::string out;
    bool first = true;
    for (const auto &item : iterate(v)) {
        if (!first) out += sep;
        first = false;
        out += to_str(attribute.is_undefined() ? item : attr_path(item, to_str(attribute)));
    }
    return Value::string(out);
}

Value map_filter(const Value &v, const Args &args, const Kwargs &kwargs) {
    std::vector<Value> out;
    if (!v.truthy()) return generator({});  // jinja2 yields nothing for a false value (None too)
    for (const auto &kv : kwargs)
        if (kv.first == "attribute") {
            const Value def = arg({}, kwargs, 0, "default");
            for (const auto &item : iterate(v)) {
                Value x = attr_path(item, to_str(kv.second));
                out.push_back(x.is_undefined() && !def.is_undefined() ? def : x);
            }
            return generator(std::move(out));
        }
    if (args.empty()) raise("FilterArgumentError", "map requires a filter argument");
    const std::string name = to_str(args[0]);
    const Args rest(args.begin() + 1, args.end());
    for (const auto &item : iterate(v)) out.push_back(apply_filter(name, item, rest, kwargs));
    return generator(std::move(out));
}

// select/reject (test on the item) and selectattr/rejectattr (test on an attribute).
Value select_filter(const Value &v, const Args &args, bool by_attr, bool keep) {
    std::vector<Value> out;
    if (!v.truthy()) return generator({});  // jinja2 yields nothing for a false value (None too)
    size_t next = 0;
    std::string attribute;
    if (by_attr) {
        if (args.empty()) raise("TypeError", "selectattr requires an attribute name");
        attribute = to_str(args[next++]);
    }
    const bool has_test = next < args.size();
    const std::string test = has_test ? to_str(args[next++]) : "";
    const Args rest(args.begin() + static_cast<std::ptrdiff_t>(next), args.end());
    for (const auto &item : iterate(v)) {
        const Value subject = by_attr ? attr_path(item, attribute) : item;
        const bool pass = has_test ? apply_test(test, subject, rest) : subject.truthy();
        if (pass == keep) out.push_back(item);
    }
    return generator(std::move(out));
}

// Python sets and dict keys refuse lists and dicts.
void require_hashable(const Value &v) {
    if ((v.is_list() && v.seq_kind() == SeqKind::List) || v.is_dict())
        raise("TypeError", "unhashable type: '" + v.type_name() + "'");
}

Value unique_filter(const Value &v, const Args &args, const Kwargs &kwargs) {
    const bool case_sensitive = arg(args, kwargs, 0, "case_sensitive").truthy();
    const Value attribute = arg(args, kwargs, 1, "attribute");
    std::vector<Value> out, seen;
    for (const auto &item : iterate(v)) {
        Value key = attribute.is_undefined() ? item : attr_path(item, to_str(attribute));
        if (!case_sensitive && key.is_string()) key = Value::string(py_lower(key.str()));
        require_hashable(key);
        if (std::any_of(seen.begin(), seen.end(), [&](const Value &s) { return equals(s, key); })) continue;
        seen.push_back(key);
        out.push_back(item);
    }
    return generator(std::move(out));
}

Value items_filter(const Value &v) {
    if (v.is_undefined()) return generator({});
    if (!v.is_mapping()) raise("TypeError", "Can only get item pairs from a mapping.");
    std::vector<Value> out;
    for (const auto &kv : v.dict_data().items) out.push_back(Value::list({Value::string(kv.first), kv.second}, SeqKind::Tuple));
    return generator(std::move(out));
}

Value sort_filter(const Value &v, const Args &args, const Kwargs &kwargs) {
    const bool reverse = arg(args, kwargs, 0, "reverse").truthy();
    const bool case_sensitive = arg(args, kwargs, 1, "case_sensitive").truthy();
    const Value attribute = arg(args, kwargs, 2, "attribute");
    std::vector<Value> items = iterate(v);
    const auto key = [&](const Value &x) {
        Value k = attribute.is_undefined() ? x : attr_path(x, to_str(attribute));
        return !case_sensitive && k.is_string() ? Value::string(py_lower(k.str())) : k;
    };
    std::stable_sort(items.begin(), items.end(), [&](const Value &a, const Value &b) {
        return reverse ? less_than(key(b), key(a)) : less_than(key(a), key(b));
    });
    return Value::list(std::move(items));
}

Value number_filter(const Value &v, bool to_int, const Value &def) {
    if (v.is_undefined()) undefined_error(v);  // int(Undefined) raises; jinja2 catches only TypeError/ValueError
    if (v.is_number()) return to_int ? Value::integer(v.as_int()) : Value::number(v.as_float());
    if (v.is_string()) {
        try {
            size_t used = 0;
            const std::string s = py_strip(v.str(), nullptr, true, true);
            if (to_int) {
                const long long i = std::stoll(s, &used, 10);
                if (used == s.size()) return Value::integer(i);
            } else {
                const double f = std::stod(s, &used);
                if (used == s.size()) return Value::number(f);
            }
        } catch (const std::exception &) {
        }
    }
    return def;
}

using FilterFn = std::function<Value(const Value &, const Args &, const Kwargs &)>;

const std::map<std::string, FilterFn> &filters() {
    static const std::map<std::string, FilterFn> table = {
        {"default", [](const Value &v, const Args &a, const Kwargs &k) {
             const bool boolean = arg(a, k, 1, "boolean").truthy();
             const bool use_default = v.is_undefined() || (boolean && !v.truthy());
             return use_default ? arg(a, k, 0, "default_value", Value::string("")) : v;
         }},
        {"length", [](const Value &v, const Args &, const Kwargs &) { return Value::integer(length_of(v)); }},
        {"string", [](const Value &v, const Args &, const Kwargs &) { return Value::string(to_str(v)); }},
        {"safe", [](const Value &v, const Args &, const Kwargs &) { return Value::markup(to_str(v)); }},
        {"list", [](const Value &v, const Args &, const Kwargs &) { return Value::list(iterate(v)); }},
        {"lower", [](const Value &v, const Args &, const Kwargs &) { return Value::string(py_lower(to_str(v))); }},
        {"upper", [](const Value &v, const Args &, const Kwargs &) { return Value::string(py_upper(to_str(v))); }},
        {"capitalize", [](const Value &v, const Args &, const Kwargs &) { return Value::string(py_capitalize(to_str(v))); }},
        {"title", [](const Value &v, const Args &, const Kwargs &) { return Value::string(jinja_title(to_str(v))); }},
        {"trim", [](const Value &v, const Args &a, const Kwargs &k) {
             const Value chars = arg(a, k, 0, "chars");
             if (chars.is_undefined() || chars.is_none()) return Value::string(py_strip(to_str(v), nullptr, true, true));
             const std::string c = to_str(chars);
             return Value::string(py_strip(to_str(v), &c, true, true));
         }},
        {"replace", [](const Value &v, const Args &a, const Kwargs &k) {
             const Value count = arg(a, k, 2, "count");
             return Value::string(py_replace(to_str(v), to_str(arg(a, k, 0, "old")), to_str(arg(a, k, 1, "new")),
                                             count.is_undefined() || count.is_none() ? -1 : count.as_int()));
         }},
        {"indent", [](const Value &v, const Args &a, const Kwargs &k) {
             // jinja2 starts with `s += "\n"`, which fails like this for anything but a string.
             if (v.is_list() && v.seq_kind() == SeqKind::List)
                 raise("AttributeError", "'list' object has no attribute 'splitlines'");
             if (v.is_list() && v.seq_kind() == SeqKind::Tuple)
                 raise("TypeError", "can only concatenate tuple (not \"str\") to tuple");
             if (v.is_undefined()) undefined_error(v);
             if (!v.is_string())
                 raise("TypeError", "unsupported operand type(s) for +=: '" + v.type_name() + "' and 'str'");
             return Value::string(indent_filter(to_str(v), arg(a, k, 0, "width", Value::integer(4)),
                                                arg(a, k, 1, "first").truthy(), arg(a, k, 2, "blank").truthy()));
         }},
        {"tojson", [](const Value &v, const Args &a, const Kwargs &k) { return tojson_filter(v, a, k); }},
        {"join", [](const Value &v, const Args &a, const Kwargs &k) { return join_filter(v, a, k); }},
        {"map", [](const Value &v, const Args &a, const Kwargs &k) { return map_filter(v, a, k); }},
        {"select", [](const Value &v, const Args &a, const Kwargs &) { return select_filter(v, a, false, true); }},
        {"reject", [](const Value &v, const Args &a, const Kwargs &) { return select_filter(v, a, false, false); }},
        {"selectattr", [](const Value &v, const Args &a, const Kwargs &) { return select_filter(v, a, true, true); }},
        {"rejectattr", [](const Value &v, const Args &a, const Kwargs &) { return select_filter(v, a, true, false); }},
        {"unique", [](const Value &v, const Args &a, const Kwargs &k) { return unique_filter(v, a, k); }},
        {"items", [](const Value &v, const Args &, const Kwargs &) { return items_filter(v); }},
        {"sort", [](const Value &v, const Args &a, const Kwargs &k) { return sort_filter(v, a, k); }},
        {"first", [](const Value &v, const Args &, const Kwargs &) {
             const auto items = iterate(v);
             return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
         }},
        {"last", [](const Value &v, const Args &, const Kwargs &) {
             const auto items = iterate(v);
             return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
         }},
        {"reverse", [](const Value &v, const Args &, const Kwargs &) {
             if (v.is_string()) {
                 auto cps = utf8_chars(v.str());
                 std::string out;
                 for (auto it = cps.rbegin(); it != cps.rend(); ++it) out += *it;
                 return Value::string(out);
             }
             if (!v.is_list() && !v.is_dict() && !v.is_undefined()) raise("FilterArgumentError", "argument must be iterable");
             auto items = iterate(v);
             std::reverse(items.begin(), items.end());
             return generator(std::move(items));
         }},
        {"abs", [](const Value &v, const Args &, const Kwargs &) {
             if (!v.is_number()) raise("TypeError", "bad operand type for abs(): '" + v.type_name() + "'");
             return v.kind() == Value::Kind::Float ? Value::number(std::fabs(v.as_float())) : Value::integer(std::llabs(v.as_int()));
         }},
        {"int", [](const Value &v, const Args &a, const Kwargs &k) { return number_filter(v, true, arg(a, k, 0, "default", Value::integer(0))); }},
        {"float", [](const Value &v, const Args &a, const Kwargs &k) { return number_filter(v, false, arg(a, k, 0, "default", Value::number(0.0))); }},
        {"attr", [](const Value &v, const Args &a, const Kwargs &k) { return get_attr(v, to_str(arg(a, k, 0, "name"))); }},
    };
    return table;
}

// value % n as Python computes it (jinja2's odd/even tests), with its TypeErrors.
Value modulo(const Value &v, int64_t n) {
    if (v.is_string()) raise("TypeError", "not all arguments converted during string formatting");
    return binary_op("%", v, Value::integer(n));
}

bool is_int(const Value &v) { return v.kind() == Value::Kind::Int; }

using TestFn = std::function<bool(const Value &, const Args &)>;

Value first_arg(const Args &a) { return a.empty() ? Value() : a[0]; }

const std::map<std::string, TestFn> &tests() {
    static const std::map<std::string, TestFn> table = {
        {"defined", [](const Value &v, const Args &) { return !v.is_undefined(); }},
        {"undefined", [](const Value &v, const Args &) { return v.is_undefined(); }},
        {"none", [](const Value &v, const Args &) { return v.is_none(); }},
        {"string", [](const Value &v, const Args &) { return v.is_string(); }},
        {"number", [](const Value &v, const Args &) { return v.is_number(); }},
        {"integer", [](const Value &v, const Args &) { return is_int(v); }},
        {"float", [](const Value &v, const Args &) { return v.kind() == Value::Kind::Float; }},
        {"boolean", [](const Value &v, const Args &) { return v.kind() == Value::Kind::Bool; }},
        {"true", [](const Value &v, const Args &) { return v.kind() == Value::Kind::Bool && v.as_bool(); }},
        {"false", [](const Value &v, const Args &) { return v.kind() == Value::Kind::Bool && !v.as_bool(); }},
        {"mapping", [](const Value &v, const Args &) { return v.is_dict(); }},
        {"iterable", [](const Value &v, const Args &) {
             return v.is_undefined() || v.is_string() || v.is_list() || v.is_dict();
         }},
        {"sequence", [](const Value &v, const Args &) {
             return v.is_undefined() || v.is_string() || (v.is_list() && v.seq_kind() != SeqKind::Generator) || v.is_dict();
         }},
        // jinja2.Undefined defines __call__ (to raise), so Python's callable() is true for it.
        {"callable", [](const Value &v, const Args &) { return v.kind() == Value::Kind::Callable || v.is_undefined(); }},
        {"equalto", [](const Value &v, const Args &a) { return equals(v, first_arg(a)); }},
        {"ne", [](const Value &v, const Args &a) { return !equals(v, first_arg(a)); }},
        {"gt", [](const Value &v, const Args &a) { return less_than(first_arg(a), v); }},
        {"lt", [](const Value &v, const Args &a) { return less_than(v, first_arg(a)); }},
        {"ge", [](const Value &v, const Args &a) { return !less_than(v, first_arg(a)); }},
        {"le", [](const Value &v, const Args &a) { return !less_than(first_arg(a), v); }},
        {"odd", [](const Value &v, const Args &) { return equals(modulo(v, 2), Value::integer(1)); }},
        {"even", [](const Value &v, const Args &) { return equals(modulo(v, 2), Value::integer(0)); }},
        {"divisibleby", [](const Value &v, const Args &a) {
             const int64_t d = first_arg(a).as_int();
             if (d == 0) raise("ZeroDivisionError", "integer division or modulo by zero");
             return v.as_int() % d == 0;
         }},
        {"lower", [](const Value &v, const Args &) { return v.is_string() && py_lower(v.str()) == v.str(); }},
        {"upper", [](const Value &v, const Args &) { return v.is_string() && py_upper(v.str()) == v.str(); }},
        {"in", [](const Value &v, const Args &a) {
             const Value hay = first_arg(a);
             for (const auto &x : iterate(hay))
                 if (equals(x, v)) return true;
             return hay.is_string() && v.is_string() && hay.str().find(v.str()) != std::string::npos;
         }},
    };
    return table;
}

// Jinja2's aliases.
std::string canonical_test(const std::string &name) {
    if (name == "eq" || name == "==" || name == "sameas") return "equalto";
    if (name == "!=") return "ne";
    if (name == "greaterthan" || name == ">") return "gt";
    if (name == "lessthan" || name == "<") return "lt";
    if (name == ">=") return "ge";
    if (name == "<=") return "le";
    return name;
}

std::string canonical_filter(const std::string &name) {
    if (name == "d") return "default";
    if (name == "count") return "length";
    return name;
}

}  // namespace

bool has_filter(const std::string &name) { return filters().count(canonical_filter(name)) != 0; }
bool has_test(const std::string &name) { return tests().count(canonical_test(name)) != 0; }

Value apply_filter(const std::string &name, const Value &subject, const Args &args, const Kwargs &kwargs) {
    const auto it = filters().find(canonical_filter(name));
    if (it == filters().end()) raise("TemplateRuntimeError", "No filter named '" + name + "' found.");
    return it->second(subject, args, kwargs);
}

bool apply_test(const std::string &name, const Value &subject, const Args &args) {
    const auto it = tests().find(canonical_test(name));
    if (it == tests().end()) raise("TemplateRuntimeError", "No test named '" + name + "' found.");
    return it->second(subject, args);
}

}  // namespace llmrt::jinja
