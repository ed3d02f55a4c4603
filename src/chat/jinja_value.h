// The values a Jinja template computes with, modelled on the Python objects Jinja2 hands around:
// undefined, None, bool, int, float, str, list (also tuples and one-shot generators, which print and
// serialize differently), dict (insertion-ordered, string keys), namespace and callables (macros,
// globals, bound methods). Lists and dicts are shared by reference, as in Python.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace llmrt::jinja {

class Value;
using Args = std::vector<Value>;
using Kwargs = std::vector<std::pair<std::string, Value>>;

// Anything a template can call: a macro, a global function, a bound string/dict method.
class Callable {
public:
    virtual ~Callable() = default;
    virtual Value call(const Args &args, const Kwargs &kwargs) const = 0;
    virtual std::string type_name() const { return "function"; }
};

enum class SeqKind { List, Tuple, Generator };

struct ListData {
    std::vector<Value> items;
    SeqKind kind = SeqKind::List;
    int depth = 1;  // nesting of lists and dicts, bounded so that nothing recurses too deep
};

struct DictData {
    std::vector<std::pair<std::string, Value>> items;
    int depth = 1;  // as ListData's, computed when a dict value is made
    const Value *find(const std::string &key) const;
    void set(const std::string &key, Value value);
};

class Value {
public:
    enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Namespace, Callable };

    Value() = default;  // undefined
    static Value undefined(std::string hint = {});
    static Value none();
    static Value boolean(bool b);
    static Value integer(int64_t i);
    static Value number(double f);
    static Value string(std::string s);
    // A markupsafe.Markup string (what the `safe` filter returns): adding a plain string to it
    // HTML-escapes that string.
    static Value markup(std::string s);
    static Value list(std::vector<Value> items, SeqKind kind = SeqKind::List);
    static Value dict(std::shared_ptr<DictData> data = nullptr);
    static Value namespace_(std::shared_ptr<DictData> data);
    static Value callable(std::shared_ptr<const Callable> fn);
    static Value from_json(const nlohmann::ordered_json &j);

    Kind kind() const { return kind_; }
    bool is_undefined() const { return kind_ == Kind::Undefined; }
    bool is_none() const { return kind_ == Kind::None; }
    bool is_string() const { return kind_ == Kind::String; }
    bool is_markup() const { return kind_ == Kind::String && b_; }
    bool is_number() const { return kind_ == Kind::Int || kind_ == Kind::Float || kind_ == Kind::Bool; }
    bool is_list() const { return kind_ == Kind::List; }
    bool is_dict() const { return kind_ == Kind::Dict; }
    bool is_mapping() const { return kind_ == Kind::Dict || kind_ == Kind::Namespace; }

    bool as_bool() const { return b_; }
    int64_t as_int() const { return kind_ == Kind::Float ? static_cast<int64_t>(f_) : i_; }
    double as_float() const { return kind_ == Kind::Float ? f_ : static_cast<double>(i_); }
    const std::string &str() const { return s_; }            // String; the hint for Undefined
    const std::vector<Value> &items() const { return list_->items; }
    SeqKind seq_kind() const { return list_->kind; }
    const DictData &dict_data() const { return *dict_; }
    DictData &dict_data_mut() const { return *dict_; }
    const Callable &fn() const { return *fn_; }

    bool truthy() const;
    // Nesting of lists and dicts: 0 for scalars, 1 for a flat list...
    int depth() const;
    // Python's type name, for error messages ("str", "dict", "NoneType", ...).
    std::string type_name() const;

private:
    Kind kind_ = Kind::Undefined;
    bool b_ = false;
    int64_t i_ = 0;
    double f_ = 0.0;
    std::string s_;
    std::shared_ptr<ListData> list_;
    std::shared_ptr<DictData> dict_;
    std::shared_ptr<const Callable> fn_;
};

// Deeper nesting of lists and dicts than real data has: making, printing, comparing or serializing
// deeper values raises RecursionError instead of exhausting the stack.
constexpr int kMaxNesting = 500;
void check_nesting(int level);

// Printing (jinja_format.cpp).
// str(value) as Jinja2 prints it: '' for undefined, Python repr inside containers.
std::string to_str(const Value &v);
// markupsafe.escape: & < > " ' as HTML entities.
std::string html_escape(const std::string &s);
// Python repr(value).
std::string repr(const Value &v);
// Python's repr of a float (shortest round-trip digits, 'e+16' style exponents).
std::string float_repr(double f);
// json.dumps(value, ensure_ascii=False, indent=indent, separators=..., sort_keys=...).
struct JsonStyle {
    int indent = -1;  // -1: None (single line)
    std::string item_sep;
    std::string key_sep;
    bool sort_keys = false;
    bool ensure_ascii = false;  // non-ASCII as \uXXXX escapes
};
std::string to_json(const Value &v, const JsonStyle &style);

bool equals(const Value &a, const Value &b);
// Python's a < b for numbers, strings and sequences; throws TypeError otherwise.
bool less_than(const Value &a, const Value &b);

// Iterating as a for loop does: list items, dict keys, string characters; None raises.
std::vector<Value> iterate(const Value &v);

// Splits UTF-8 text into its code points (Python indexes strings by code point).
std::vector<std::string> utf8_chars(const std::string &s);

}  // namespace llmrt::jinja
