// Attribute and item access, slicing, and the Python methods of str and dict that templates call.
#include <algorithm>
#include <cctype>

#include "chat/jinja_builtins.h"
#include "chat/jinja_error.h"
#include "chat/jinja_strings.h"

namespace llmrt::jinja {

namespace {

const Value *find_kwarg(const Kwargs &kwargs, const char *name) {
    for (const auto &kv : kwargs)
        if (kv.first == name) return &kv.second;
    return nullptr;
}

// The n-th argument, given positionally or by keyword; undefined if absent.
Value arg(const Args &args, const Kwargs &kwargs, size_t n, const char *name) {
    if (n < args.size()) return args[n];
    const Value *v = find_kwarg(kwargs, name);
    return v ? *v : Value();
}

std::string require_str(const Value &v, const char *what) {
    if (!v.is_string()) raise("TypeError", std::string(what) + " arg must be None or str, not " + v.type_name());
    return v.str();
}

// A bound method: "x.strip" evaluates to this, "x.strip()" calls it.
class BoundMethod : public Callable {
public:
    BoundMethod(Value self, std::string name) : self_(std::move(self)), name_(std::move(name)) {}
    Value call(const Args &args, const Kwargs &kwargs) const override;
    std::string type_name() const override { return "builtin_function_or_method"; }

private:
    Value str_method(const Args &args, const Kwargs &kwargs) const;
    Value dict_method(const Args &args, const Kwargs &kwargs) const;
    Value self_;
    std::string name_;
};

const char *const kStrMethods[] = {"strip", "lstrip", "rstrip", "split", "rsplit", "startswith", "endswith",
                                   "upper", "lower", "title", "capitalize", "replace", "find", "rfind",
                                   "count", "join", "splitlines", "isdigit", "isspace", "isalpha",
                                   "isalnum", "islower", "isupper", "swapcase", "format"};
const char *const kDictMethods[] = {"items", "keys", "values", "get", "copy", "pop", "update", "setdefault"};
const char *const kListMethods[] = {"append", "index", "count", "copy", "pop", "extend", "insert", "remove",
                                    "reverse", "sort", "clear"};

template <size_t N>
bool contains(const char *const (&names)[N], const std::string &name) {
    return std::find_if(std::begin(names), std::end(names), [&](const char *n) { return name == n; }) !=
           std::end(names);
}

bool starts_or_ends(const std::string &s, const Value &affix, bool start) {
    const auto one = [&](const std::string &a) {
        if (a.size() > s.size()) return false;
        return start ? s.compare(0, a.size(), a) == 0 : s.compare(s.size() - a.size(), a.size(), a) == 0;
    };
    if (affix.is_list()) {
        for (const auto &a : affix.items())
            if (one(require_str(a, "startswith"))) return true;
        return false;
    }
    if (!affix.is_string())
        raise("TypeError", std::string(start ? "startswith" : "endswith") +
                               " first arg must be str or a tuple of str, not " + affix.type_name());
    return one(affix.str());
}

Value string_list(const std::vector<std::string> &parts) {
    std::vector<Value> out;
    for (const auto &p : parts) out.push_back(Value::string(p));
    return Value::list(std::move(out));
}

Value BoundMethod::str_method(const Args &args, const Kwargs &kwargs) const {
    const std::string &s = self_.str();
    const Value a0 = arg(args, kwargs, 0, "chars");
    if (name_ == "strip" || name_ == "lstrip" || name_ == "rstrip") {
        const bool left = name_ != "rstrip", right = name_ != "lstrip";
        if (a0.is_undefined() || a0.is_none()) return Value::string(py_strip(s, nullptr, left, right));
        const std::string chars = require_str(a0, name_.c_str());
        return Value::string(py_strip(s, &chars, left, right));
    }
    if (name_ == "split" || name_ == "rsplit") {
        const Value sep = arg(args, kwargs, 0, "sep");
        const Value max = arg(args, kwargs, 1, "maxsplit");
        const int64_t maxsplit = max.is_undefined() ? -1 : max.as_int();
        if (sep.is_undefined() || sep.is_none()) return string_list(py_split_ws(s, maxsplit, name_ == "rsplit"));
        const std::string sp = require_str(sep, "split");
        if (sp.empty()) raise("ValueError", "empty separator");
        return string_list(py_split(s, sp, maxsplit, name_ == "rsplit"));
    }
    if (name_ == "startswith" || name_ == "endswith") return Value::boolean(starts_or_ends(s, a0, name_ == "startswith"));
    if (name_ == "upper") return Value::string(py_upper(s));
    if (name_ == "lower") return Value::string(py_lower(s));
    if (name_ == "title") return Value::string(py_title(s));
    if (name_ == "capitalize") return Value::string(py_capitalize(s));
    if (name_ == "swapcase") {
        std::string r = s;
        for (char &c : r) c = std::isupper(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : static_cast<char>(std::toupper(c));
        return Value::string(r);
    }
    if (name_ == "replace") {
        const Value count = arg(args, kwargs, 2, "count");
        return Value::string(py_replace(s, require_str(arg(args, kwargs, 0, "old"), "replace"),
                                        require_str(arg(args, kwargs, 1, "new"), "replace"),
                                        count.is_undefined() ? -1 : count.as_int()));
    }
    if (name_ == "find" || name_ == "rfind") {
        const std::string needle = require_str(a0, name_.c_str());
        const size_t at = name_ == "find" ? s.find(needle) : s.rfind(needle);
        return Value::integer(at == std::string::npos ? -1 : static_cast<int64_t>(utf8_chars(s.substr(0, at)).size()));
    }
    if (name_ == "count") {
        const std::string needle = require_str(a0, "count");
        return Value::integer(py_count(s, needle));
    }
    if (name_ == "join") {
        std::string out;
        bool first = true;
        for (const auto &v : iterate(a0)) {
            if (!first) out += s;
            first = false;
            if (!v.is_string()) raise("TypeError", "sequence item: expected str instance, " + v.type_name() + " found");
            out += v.str();
        }
        return Value::string(out);
    }
    if (name_ == "splitlines") return string_list(py_splitlines(s));
    if (name_ == "format") raise("SecurityError", "str.format is not supported");
    return Value::boolean(py_is_class(s, name_));
}

Value BoundMethod::dict_method(const Args &args, const Kwargs &kwargs) const {
    const auto &items = self_.dict_data().items;
    if (name_ == "items") {
        std::vector<Value> out;
        for (const auto &kv : items) out.push_back(Value::list({Value::string(kv.first), kv.second}, SeqKind::Tuple));
        return Value::list(std::move(out));
    }
    if (name_ == "keys" || name_ == "values") {
        std::vector<Value> out;
        for (const auto &kv : items) out.push_back(name_ == "keys" ? Value::string(kv.first) : kv.second);
        return Value::list(std::move(out));
    }
    if (name_ == "get") {
        const Value key = arg(args, kwargs, 0, "key");
        const Value *found = key.is_string() ? self_.dict_data().find(key.str()) : nullptr;
        if (found) return *found;
        const Value def = arg(args, kwargs, 1, "default");
        return def.is_undefined() ? Value::none() : def;
    }
    if (name_ == "copy") return Value::dict(std::make_shared<DictData>(self_.dict_data()));
    raise("SecurityError", "access to attribute '" + name_ + "' of 'dict' object is unsafe.");
}

Value BoundMethod::call(const Args &args, const Kwargs &kwargs) const {
    if (self_.is_string()) return str_method(args, kwargs);
    if (self_.is_dict()) return dict_method(args, kwargs);
    if (self_.is_list()) {
        if (name_ == "index" || name_ == "count") {
            const Value a0 = arg(args, kwargs, 0, "value");
            int64_t n = 0;
            for (size_t i = 0; i < self_.items().size(); ++i) {
                if (!equals(self_.items()[i], a0)) continue;
                if (name_ == "index") return Value::integer(static_cast<int64_t>(i));
                ++n;
            }
            if (name_ == "index") raise("ValueError", repr(a0) + " is not in list");
            return Value::integer(n);
        }
        if (name_ == "copy") return Value::list(self_.items());
        // ImmutableSandboxedEnvironment refuses every mutating list method.
        raise("SecurityError", "access to attribute '" + name_ + "' of '" + self_.type_name() + "' object is unsafe.");
    }
    raise("TypeError", "'" + self_.type_name() + "' object has no method '" + name_ + "'");
}

// jinja2.utils.object_type_repr, which its undefined-value messages use.
std::string object_type_repr(const Value &obj) { return obj.is_none() ? "None" : obj.type_name() + " object"; }

int64_t normalize_index(int64_t i, size_t n) { return i < 0 ? i + static_cast<int64_t>(n) : i; }

}  // namespace

[[noreturn]] void undefined_error(const Value &undef) {
    raise("UndefinedError", undef.str().empty() ? "value is undefined" : undef.str());
}

Value get_attr(const Value &obj, const std::string &name) {
    switch (obj.kind()) {
        case Value::Kind::Undefined: undefined_error(obj);
        case Value::Kind::Dict:
            if (contains(kDictMethods, name)) return Value::callable(std::make_shared<BoundMethod>(obj, name));
            if (const Value *v = obj.dict_data().find(name)) return *v;
            break;
        case Value::Kind::Namespace:
            if (const Value *v = obj.dict_data().find(name)) return *v;
            break;
        case Value::Kind::String:
            if (contains(kStrMethods, name)) return Value::callable(std::make_shared<BoundMethod>(obj, name));
            break;
        case Value::Kind::List:
            if (obj.seq_kind() != SeqKind::Generator && contains(kListMethods, name))
                return Value::callable(std::make_shared<BoundMethod>(obj, name));
            break;
        default: break;
    }
    return Value::undefined("'" + object_type_repr(obj) + "' has no attribute '" + name + "'");
}

Value get_item(const Value &obj, const Value &key) {
    if (obj.is_undefined()) undefined_error(obj);
    if (obj.is_mapping() && key.is_string()) {
        if (const Value *v = obj.dict_data().find(key.str())) return *v;
    } else if ((obj.is_list() && obj.seq_kind() != SeqKind::Generator) || obj.is_string()) {
        if (key.kind() == Value::Kind::Int || key.kind() == Value::Kind::Bool) {
            if (obj.is_list()) {
                const int64_t i = normalize_index(key.as_int(), obj.items().size());
                if (i >= 0 && i < static_cast<int64_t>(obj.items().size())) return obj.items()[static_cast<size_t>(i)];
            } else {
                const auto chars = utf8_chars(obj.str());
                const int64_t i = normalize_index(key.as_int(), chars.size());
                if (i >= 0 && i < static_cast<int64_t>(chars.size())) return Value::string(chars[static_cast<size_t>(i)]);
            }
            return Value::undefined(object_type_repr(obj) + " has no element " + repr(key));
        }
    }
    // Jinja2 falls back to the attribute of that name ("x['items']" is the method).
    if (key.is_string()) return get_attr(obj, key.str());
    return Value::undefined(object_type_repr(obj) + " has no element " + repr(key));
}

Value slice(const Value &obj, const Value &start, const Value &stop, const Value &step) {
    if (obj.is_undefined()) undefined_error(obj);
    const bool is_str = obj.is_string();
    if (!is_str && !(obj.is_list() && obj.seq_kind() != SeqKind::Generator))
        raise("TypeError", "'" + obj.type_name() + "' object is not subscriptable");
    std::vector<std::string> chars;
    if (is_str) chars = utf8_chars(obj.str());
    const int64_t n = static_cast<int64_t>(is_str ? chars.size() : obj.items().size());
    const auto given = [](const Value &v) { return !v.is_undefined() && !v.is_none(); };
    const int64_t st = given(step) ? step.as_int() : 1;
    if (st == 0) raise("ValueError", "slice step cannot be zero");
    // Python's slice.indices(): clamp to [0, n] going forward, [-1, n-1] going backward.
    const auto bound = [&](const Value &v, int64_t def) {
        if (!given(v)) return def;
        int64_t i = v.as_int();
        if (i < 0) i += n;
        if (st > 0) return std::clamp<int64_t>(i, 0, n);
        return std::clamp<int64_t>(i, -1, n - 1);
    };
    const int64_t b = bound(start, st > 0 ? 0 : n - 1);
    const int64_t e = bound(stop, st > 0 ? n : -1);
    std::vector<Value> items;
    std::string text;
    for (int64_t i = b; st > 0 ? i < e : i > e; i += st) {
        if (is_str) text += chars[static_cast<size_t>(i)];
        else items.push_back(obj.items()[static_cast<size_t>(i)]);
    }
    if (is_str) return Value::string(text);
    return Value::list(std::move(items), obj.seq_kind());
}

}  // namespace llmrt::jinja
