#include "chat/jinja_value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "chat/jinja_error.h"

namespace llmrt::jinja {

void check_nesting(int level) {
    if (level > kMaxNesting) raise("RecursionError", "maximum nesting depth exceeded");
}

namespace {

Value from_json_at(const nlohmann::ordered_json &j, int level);

}  // namespace

const Value *DictData::find(const std::string &key) const {
    for (const auto &kv : items)
        if (kv.first == key) return &kv.second;
    return nullptr;
}

void DictData::set(const std::string &key, Value value) {
    for (auto &kv : items)
        if (kv.first == key) {
            kv.second = std::move(value);
            return;
        }
    items.emplace_back(key, std::move(value));
}

Value Value::undefined(std::string hint) {
    Value v;
    v.s_ = std::move(hint);
    return v;
}
Value Value::none() {
    Value v;
    v.kind_ = Kind::None;
    return v;
}
Value Value::boolean(bool b) {
    Value v;
    v.kind_ = Kind::Bool;
    v.b_ = b;
    v.i_ = b ? 1 : 0;
    return v;
}
Value Value::integer(int64_t i) {
    Value v;
    v.kind_ = Kind::Int;
    v.i_ = i;
    return v;
}
Value Value::number(double f) {
    Value v;
    v.kind_ = Kind::Float;
    v.f_ = f;
    return v;
}
Value Value::string(std::string s) {
    Value v;
    v.kind_ = Kind::String;
    v.s_ = std::move(s);
    return v;
}
Value Value::markup(std::string s) {
    Value v = string(std::move(s));
    v.b_ = true;
    return v;
}
// Containers deeper than kMaxNesting are refused when made, so that printing, comparing and
// destroying them never recurses too deep, whatever a template builds.
Value Value::list(std::vector<Value> items, SeqKind kind) {
    Value v;
    v.kind_ = Kind::List;
    v.list_ = std::make_shared<ListData>();
    int depth = 0;
    for (const auto &item : items) depth = std::max(depth, item.depth());
    check_nesting(depth + 1);
    v.list_->depth = depth + 1;
    v.list_->items = std::move(items);
    v.list_->kind = kind;
    return v;
}
Value Value::dict(std::shared_ptr<DictData> data) {
    Value v;
    v.kind_ = Kind::Dict;
    v.dict_ = data ? std::move(data) : std::make_shared<DictData>();
    int depth = 0;
    for (const auto &kv : v.dict_->items) depth = std::max(depth, kv.second.depth());
    check_nesting(depth + 1);
    v.dict_->depth = depth + 1;
    return v;
}

int Value::depth() const {
    if (kind_ == Kind::List) return list_->depth;
    if (kind_ == Kind::Dict) return dict_->depth;
    return 0;
}
Value Value::namespace_(std::shared_ptr<DictData> data) {
    Value v = dict(std::move(data));
    v.kind_ = Kind::Namespace;
    return v;
}
Value Value::callable(std::shared_ptr<const Callable> fn) {
    Value v;
    v.kind_ = Kind::Callable;
    v.fn_ = std::move(fn);
    return v;
}

Value Value::from_json(const nlohmann::ordered_json &j) { return from_json_at(j, 0); }

namespace {

Value from_json_at(const nlohmann::ordered_json &j, int level) {
    check_nesting(level);
    using V = Value;
    switch (j.type()) {
        case nlohmann::ordered_json::value_t::null: return V::none();
        case nlohmann::ordered_json::value_t::boolean: return V::boolean(j.get<bool>());
        case nlohmann::ordered_json::value_t::number_integer: return V::integer(j.get<int64_t>());
        case nlohmann::ordered_json::value_t::number_unsigned: return V::integer(static_cast<int64_t>(j.get<uint64_t>()));
        case nlohmann::ordered_json::value_t::number_float: return V::number(j.get<double>());
        case nlohmann::ordered_json::value_t::string: return V::string(j.get<std::string>());
        case nlohmann::ordered_json::value_t::array: {
            std::vector<Value> items;
            for (const auto &e : j) items.push_back(from_json_at(e, level + 1));
            return V::list(std::move(items));
        }
        case nlohmann::ordered_json::value_t::object: {
            auto data = std::make_shared<DictData>();
            for (auto it = j.begin(); it != j.end(); ++it) data->items.emplace_back(it.key(), from_json_at(it.value(), level + 1));
            return V::dict(std::move(data));
        }
        default: raise("TypeError", "unsupported JSON value");
    }
}

}  // namespace

bool Value::truthy() const {
    switch (kind_) {
        case Kind::Undefined:
        case Kind::None: return false;
        case Kind::Bool: return b_;
        case Kind::Int: return i_ != 0;
        case Kind::Float: return f_ != 0.0;
        case Kind::String: return !s_.empty();
        // A generator object is always true in Python, whatever it would yield.
        case Kind::List: return list_->kind == SeqKind::Generator || !list_->items.empty();
        case Kind::Dict: return !dict_->items.empty();
        default: return true;
    }
}

std::string Value::type_name() const {
    switch (kind_) {
        case Kind::Undefined: return "Undefined";
        case Kind::None: return "NoneType";
        case Kind::Bool: return "bool";
        case Kind::Int: return "int";
        case Kind::Float: return "float";
        case Kind::String: return "str";
        case Kind::List:
            return list_->kind == SeqKind::List ? "list" : list_->kind == SeqKind::Tuple ? "tuple" : "generator";
        case Kind::Dict: return "dict";
        case Kind::Namespace: return "Namespace";
        case Kind::Callable: return fn_->type_name();
    }
    return "object";
}

bool equals_at(const Value &a, const Value &b, int level);

bool equals(const Value &a, const Value &b) { return equals_at(a, b, 0); }

bool equals_at(const Value &a, const Value &b, int level) {
    check_nesting(level);
    if (a.is_number() && b.is_number()) {
        if (a.kind() == Value::Kind::Float || b.kind() == Value::Kind::Float) return a.as_float() == b.as_float();
        return a.as_int() == b.as_int();
    }
    if (a.kind() != b.kind()) return false;
    switch (a.kind()) {
        case Value::Kind::Undefined:
        case Value::Kind::None: return true;
        case Value::Kind::String: return a.str() == b.str();
        case Value::Kind::List: {
            if ((a.seq_kind() == SeqKind::Tuple) != (b.seq_kind() == SeqKind::Tuple)) return false;
            if (a.items().size() != b.items().size()) return false;
            for (size_t i = 0; i < a.items().size(); ++i)
                if (!equals_at(a.items()[i], b.items()[i], level + 1)) return false;
            return true;
        }
        case Value::Kind::Dict: {
            const auto &x = a.dict_data().items;
            if (x.size() != b.dict_data().items.size()) return false;
            for (const auto &kv : x) {
                const Value *o = b.dict_data().find(kv.first);
                if (!o || !equals_at(kv.second, *o, level + 1)) return false;
            }
            return true;
        }
        default: return &a.dict_data() == &b.dict_data();
    }
}

bool less_than_at(const Value &a, const Value &b, int level);

bool less_than(const Value &a, const Value &b) { return less_than_at(a, b, 0); }

bool less_than_at(const Value &a, const Value &b, int level) {
    check_nesting(level);
    if (a.is_number() && b.is_number()) return a.as_float() < b.as_float();
    if (a.is_string() && b.is_string()) return a.str() < b.str();
    if (a.is_list() && b.is_list()) {
        const auto &x = a.items(), &y = b.items();
        for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
            if (less_than_at(x[i], y[i], level + 1)) return true;
            if (less_than_at(y[i], x[i], level + 1)) return false;
        }
        return x.size() < y.size();
    }
    if (a.is_undefined() || b.is_undefined())
        raise("UndefinedError", "'" + (a.is_undefined() ? a : b).str() + "' is undefined");
    raise("TypeError", "'<' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'");
}

std::vector<std::string> utf8_chars(const std::string &s) {
    std::vector<std::string> out;
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
        n = std::min(n, s.size() - i);
        out.push_back(s.substr(i, n));
        i += n;
    }
    return out;
}

std::vector<Value> iterate(const Value &v) {
    switch (v.kind()) {
        case Value::Kind::Undefined: return {};  // lenient Undefined iterates as empty
        case Value::Kind::List: return v.items();
        case Value::Kind::Dict: {
            std::vector<Value> keys;
            for (const auto &kv : v.dict_data().items) keys.push_back(Value::string(kv.first));
            return keys;
        }
        case Value::Kind::String: {
            std::vector<Value> chars;
            for (auto &c : utf8_chars(v.str())) chars.push_back(Value::string(std::move(c)));
            return chars;
        }
        default: raise("TypeError", "'" + v.type_name() + "' object is not iterable");
    }
}

}  // namespace llmrt::jinja
