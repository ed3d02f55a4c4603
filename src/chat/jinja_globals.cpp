#include "chat/jinja_globals.h"

#include <functional>

#include "chat/jinja_error.h"

namespace llmrt::jinja {

namespace {

class Builtin : public Callable {
public:
    using Fn = std::function<Value(const Args &, const Kwargs &)>;
    explicit Builtin(Fn fn) : fn_(std::move(fn)) {}
    Value call(const Args &args, const Kwargs &kwargs) const override { return fn_(args, kwargs); }
    std::string type_name() const override { return "builtin_function_or_method"; }

private:
    Fn fn_;
};

Value builtin(Builtin::Fn fn) { return Value::callable(std::make_shared<Builtin>(std::move(fn))); }

Value range_fn(const Args &args) {
    int64_t start = 0, stop = 0, step = 1;
    if (args.size() == 1) {
        stop = args[0].as_int();
    } else if (args.size() >= 2) {
        start = args[0].as_int();
        stop = args[1].as_int();
        if (args.size() > 2) step = args[2].as_int();
    }
    if (step == 0) raise("ValueError", "range() arg 3 must not be zero");
    // The sandbox caps range() at 100000 items (MAX_RANGE).
    const int64_t count = step > 0 ? (stop - start + step - 1) / step : (start - stop - step - 1) / -step;
    if (count > 100000) raise("OverflowError", "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
    std::vector<Value> items;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) items.push_back(Value::integer(i));
    return Value::list(std::move(items));
}

}  // namespace

void install_globals(DictData &globals, const std::tm &now) {
    globals.set("raise_exception", builtin([](const Args &args, const Kwargs &) -> Value {
        raise("TemplateError", args.empty() ? std::string() : to_str(args[0]));
    }));
    globals.set("strftime_now", builtin([now](const Args &args, const Kwargs &) {
        const std::string fmt = args.empty() ? std::string() : to_str(args[0]);
        if (fmt.empty()) return Value::string("");
        char buf[512];
        const size_t n = std::strftime(buf, sizeof buf, fmt.c_str(), &now);
        return Value::string(std::string(buf, n));
    }));
    globals.set("namespace", builtin([](const Args &args, const Kwargs &kwargs) {
        auto data = std::make_shared<DictData>();
        for (const auto &a : args)
            if (a.is_mapping()) data->items = a.dict_data().items;
        for (const auto &kv : kwargs) data->set(kv.first, kv.second);
        return Value::namespace_(data);
    }));
    globals.set("dict", builtin([](const Args &args, const Kwargs &kwargs) {
        auto data = std::make_shared<DictData>();
        for (const auto &a : args)
            if (a.is_mapping()) data->items = a.dict_data().items;
        for (const auto &kv : kwargs) data->set(kv.first, kv.second);
        return Value::dict(data);
    }));
    globals.set("range", builtin([](const Args &args, const Kwargs &) { return range_fn(args); }));
}

}  // namespace llmrt::jinja
