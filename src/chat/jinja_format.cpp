// How values print: str() as Jinja2 outputs them, Python's repr() inside containers and for
// floats, json.dumps for tojson, markupsafe's escaping.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "chat/jinja_error.h"
#include "chat/jinja_value.h"

namespace llmrt::jinja {

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

std::string repr_at(const Value &v, int level);

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

std::string to_json(const Value &v, const JsonStyle &style) {
    std::string out;
    json_into(v, style, 0, out);
    return out;
}

std::string repr(const Value &v) { return repr_at(v, 0); }

namespace {

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

}  // namespace

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


}  // namespace llmrt::jinja
