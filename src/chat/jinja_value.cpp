#include "chat/jinja_value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "chat/jinja_error.h"

namespace llmrt::jinja {

namespace {

// Deeper nesting than real data has; converting, printing or serializing stops there instead of
// exhausting the stack (Python raises RecursionError too).
constexpr int kMaxNesting = 500;

void check_nesting(int level) {
    if (level > kMaxNesting) raise("RecursionError", "maximum nesting depth exceeded");
}

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

std::string html_escape(const std::string &s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&#34;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string float_repr(double f) {
    if (std::isnan(f)) return "nan";
    if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
    // Shortest digit string that reads back as the same double, as Python's repr picks.
    char buf[64];
    int prec = 1;
    for (; prec <= 17; ++prec) {
        std::snprintf(buf, sizeof buf, "%.*e", prec - 1, f);
        if (std::strtod(buf, nullptr) == f) break;
    }
    std::string s(buf);
    const size_t e = s.find('e');
    const int exp = std::atoi(s.c_str() + e + 1);
    std::string mant = s.substr(0, e);
    const bool neg = mant[0] == '-';
    if (neg) mant.erase(0, 1);
    std::string digits;
    for (char c : mant)
        if (c != '.') digits += c;
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    std::string out;
    if (exp < -4 || exp >= 16) {
        out = digits.substr(0, 1);
        if (digits.size() > 1) out += "." + digits.substr(1);
        char eb[16];
        std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', std::abs(exp));
        out += eb;
    } else if (exp < 0) {
        out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    } else {
        const size_t int_len = static_cast<size_t>(exp) + 1;
        if (digits.size() <= int_len)
            out = digits + std::string(int_len - digits.size(), '0') + ".0";
        else
            out = digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
    return neg ? "-" + out : out;
}

namespace {

std::string repr_string(const std::string &s) {
    const bool has_single = s.find('\'') != std::string::npos;
    const bool has_double = s.find('"') != std::string::npos;
    const char quote = has_single && !has_double ? '"' : '\'';
    std::string out(1, quote);
    for (unsigned char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == quote) out += std::string("\\") + static_cast<char>(c);
        else if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20 || c == 0x7f) {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02x", c);
            out += b;
        } else {
            out += static_cast<char>(c);
        }
    }
    out += quote;
    return out;
}

void append_u16_escape(std::string &out, unsigned cp) {
    char b[8];
    std::snprintf(b, sizeof b, "\\u%04x", cp);
    out += b;
}

// The code point starting at s[i] (advancing i past it); invalid bytes stand for themselves.
unsigned decode_utf8(const std::string &s, size_t &i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (n == 1 || i + n > s.size()) return s[i++] & 0xFFu;
    unsigned cp = c & (0x7Fu >> n);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    i += n;
    return cp;
}

std::string json_string(const std::string &s, bool ensure_ascii) {
    std::string out = "\"";
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (ensure_ascii && c >= 0x80) {
            const unsigned cp = decode_utf8(s, i);
            if (cp >= 0x10000) {
                append_u16_escape(out, 0xD800 + ((cp - 0x10000) >> 10));
                append_u16_escape(out, 0xDC00 + ((cp - 0x10000) & 0x3FF));
            } else {
                append_u16_escape(out, cp);
            }
            continue;
        }
        ++i;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20 || (ensure_ascii && c == 0x7f)) {
                    append_u16_escape(out, c);
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

void json_into(const Value &v, const JsonStyle &st, int level, std::string &out) {
    check_nesting(level);
    const auto newline = [&](int lvl) {
        if (st.indent >= 0) out += "\n" + std::string(static_cast<size_t>(st.indent * lvl), ' ');
    };
    switch (v.kind()) {
        case Value::Kind::None: out += "null"; return;
        case Value::Kind::Bool: out += v.as_bool() ? "true" : "false"; return;
        case Value::Kind::Int: out += std::to_string(v.as_int()); return;
        case Value::Kind::Float: {
            const double f = v.as_float();
            out += std::isnan(f) ? "NaN" : std::isinf(f) ? (f > 0 ? "Infinity" : "-Infinity") : float_repr(f);
            return;
        }
        case Value::Kind::String: out += json_string(v.str(), st.ensure_ascii); return;
        case Value::Kind::List: {
            if (v.seq_kind() == SeqKind::Generator) break;
            if (v.items().empty()) {
                out += "[]";
                return;
            }
            out += "[";
            bool first = true;
            for (const auto &e : v.items()) {
                if (!first) out += st.item_sep;
                first = false;
                newline(level + 1);
                json_into(e, st, level + 1, out);
            }
            newline(level);
            out += "]";
            return;
        }
        case Value::Kind::Dict: {
            if (v.dict_data().items.empty()) {
                out += "{}";
                return;
            }
            auto entries = v.dict_data().items;
            if (st.sort_keys)
                std::stable_sort(entries.begin(), entries.end(),
                                 [](const auto &a, const auto &b) { return a.first < b.first; });
            out += "{";
            bool first = true;
            for (const auto &kv : entries) {
                if (!first) out += st.item_sep;
                first = false;
                newline(level + 1);
                out += json_string(kv.first, st.ensure_ascii) + st.key_sep;
                json_into(kv.second, st, level + 1, out);
            }
            newline(level);
            out += "}";
            return;
        }
        default: break;
    }
    raise("TypeError", "Object of type " + v.type_name() + " is not JSON serializable");
}

}  // namespace

std::string repr_at(const Value &v, int level);

std::string to_json(const Value &v, const JsonStyle &style) {
    std::string out;
    json_into(v, style, 0, out);
    return out;
}

std::string repr(const Value &v) { return repr_at(v, 0); }

std::string repr_at(const Value &v, int level) {
    check_nesting(level);
    switch (v.kind()) {
        case Value::Kind::String: return repr_string(v.str());
        case Value::Kind::List: {
            if (v.seq_kind() == SeqKind::Generator) return "<generator object>";
            const bool tuple = v.seq_kind() == SeqKind::Tuple;
            std::string out = tuple ? "(" : "[";
            for (size_t i = 0; i < v.items().size(); ++i) {
                if (i) out += ", ";
                out += repr_at(v.items()[i], level + 1);
            }
            if (tuple && v.items().size() == 1) out += ",";
            return out + (tuple ? ")" : "]");
        }
        case Value::Kind::Dict: {
            std::string out = "{";
            bool first = true;
            for (const auto &kv : v.dict_data().items) {
                if (!first) out += ", ";
                first = false;
                out += repr_string(kv.first) + ": " + repr_at(kv.second, level + 1);
            }
            return out + "}";
        }
        case Value::Kind::Undefined: return "Undefined";
        default: return to_str(v);
    }
}

std::string to_str(const Value &v) {
    switch (v.kind()) {
        case Value::Kind::Undefined: return "";
        case Value::Kind::None: return "None";
        case Value::Kind::Bool: return v.as_bool() ? "True" : "False";
        case Value::Kind::Int: return std::to_string(v.as_int());
        case Value::Kind::Float: return float_repr(v.as_float());
        case Value::Kind::String: return v.str();
        case Value::Kind::Namespace: return "<Namespace>";
        case Value::Kind::Callable: return "<" + v.type_name() + ">";
        default: return repr(v);
    }
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
