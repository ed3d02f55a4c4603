#include "args.h"

#include <cerrno>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace cli {

int64_t parse_int(const std::string &text, const std::string &what, int64_t min_value,
                  int64_t max_value) {
    // strtoll alone accepts leading spaces and trailing junk ("12abc"); insist on the whole string.
    const char *begin = text.c_str();
    char *end = nullptr;
    errno = 0;
    const long long value = std::strtoll(begin, &end, 10);
    if (text.empty() || *end != '\0' || end == begin || std::isspace(static_cast<unsigned char>(text[0])) || errno == ERANGE) {
        throw UsageError(what + ": '" + text + "' is not an integer");
    }
    if (value < min_value || value > max_value) {
        throw UsageError(what + ": " + text + " is out of range [" + std::to_string(min_value) +
                         ", " + std::to_string(max_value) + "]");
    }
    return value;
}

double parse_double(const std::string &text, const std::string &what, double min_value,
                    double max_value) {
    const char *begin = text.c_str();
    char *end = nullptr;
    errno = 0;
    const double value = std::strtod(begin, &end);
    if (text.empty() || *end != '\0' || end == begin || std::isspace(static_cast<unsigned char>(text[0])) || errno == ERANGE ||
        !std::isfinite(value)) {
        throw UsageError(what + ": '" + text + "' is not a number");
    }
    if (value < min_value || value > max_value) {
        std::ostringstream msg;
        msg << what << ": " << text << " is out of range [" << min_value << ", " << max_value << "]";
        throw UsageError(msg.str());
    }
    return value;
}

namespace {

uint64_t parse_uint64(const std::string &text, const std::string &what) {
    const char *begin = text.c_str();
    char *end = nullptr;
    errno = 0;
    const unsigned long long value = std::strtoull(begin, &end, 0); // 0: also accept 0x...
    if (text.empty() || *end != '\0' || end == begin || text[0] == '-' || std::isspace(static_cast<unsigned char>(text[0])) ||
        errno == ERANGE) {
        throw UsageError(what + ": '" + text + "' is not a non-negative integer");
    }
    return value;
}

std::string format_float(double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", value);
    return buf;
}

// "-n/--n-predict", so an error names the option however the user spelled it.
std::string display_name(const char *short_name, const char *long_name) {
    return short_name ? std::string(short_name) + "/" + long_name : std::string(long_name);
}

std::string join_ints(const std::vector<int32_t> &values) {
    std::string out;
    for (size_t i = 0; i < values.size(); ++i) {
        out += (i ? "," : "") + std::to_string(values[i]);
    }
    return out;
}

} // namespace

ArgParser::ArgParser(std::string command, std::string usage, std::string description)
    : command_(std::move(command)), usage_(std::move(usage)), description_(std::move(description)) {}

void ArgParser::add(const char *short_name, const char *long_name, const char *metavar,
                    const char *help, std::string default_text,
                    std::function<void(const std::string &)> set) {
    Option opt;
    opt.short_name = short_name ? short_name : "";
    opt.long_name = long_name;
    opt.metavar = metavar ? metavar : "";
    opt.help = help;
    opt.default_text = std::move(default_text);
    opt.set = std::move(set);
    options_.push_back(std::move(opt));
}

void ArgParser::flag(const char *short_name, const char *long_name, const char *help, bool *out) {
    add(short_name, long_name, nullptr, help, "", [out](const std::string &) { *out = true; });
}

void ArgParser::string(const char *short_name, const char *long_name, const char *metavar,
                       const char *help, std::string *out) {
    add(short_name, long_name, metavar, help, *out, [out](const std::string &v) { *out = v; });
}

void ArgParser::integer(const char *short_name, const char *long_name, const char *metavar,
                        const char *help, int32_t *out, int64_t min_value, int64_t max_value) {
    const std::string name = display_name(short_name, long_name);
    add(short_name, long_name, metavar, help, std::to_string(*out),
        [out, name, min_value, max_value](const std::string &v) {
            *out = static_cast<int32_t>(parse_int(v, name, min_value, max_value));
        });
}

void ArgParser::uint64(const char *short_name, const char *long_name, const char *metavar,
                       const char *help, uint64_t *out) {
    const std::string name = display_name(short_name, long_name);
    add(short_name, long_name, metavar, help, std::to_string(*out),
        [out, name](const std::string &v) { *out = parse_uint64(v, name); });
}

void ArgParser::number(const char *short_name, const char *long_name, const char *metavar,
                       const char *help, float *out, double min_value, double max_value) {
    const std::string name = display_name(short_name, long_name);
    add(short_name, long_name, metavar, help, format_float(*out),
        [out, name, min_value, max_value](const std::string &v) {
            *out = static_cast<float>(parse_double(v, name, min_value, max_value));
        });
}

void ArgParser::integer_list(const char *short_name, const char *long_name, const char *metavar,
                             const char *help, std::vector<int32_t> *out, int64_t min_value,
                             int64_t max_value) {
    const std::string name = display_name(short_name, long_name);
    add(short_name, long_name, metavar, help, join_ints(*out),
        [out, name, min_value, max_value](const std::string &v) {
            std::vector<int32_t> values;
            size_t start = 0;
            while (true) {
                const size_t comma = v.find(',', start);
                const std::string item = v.substr(start, comma - start);
                values.push_back(static_cast<int32_t>(parse_int(item, name, min_value, max_value)));
                if (comma == std::string::npos) {
                    break;
                }
                start = comma + 1;
            }
            *out = values;
        });
}

ArgParser::Option *ArgParser::find(const std::string &name) {
    for (Option &opt : options_) {
        if (name == opt.long_name || (!opt.short_name.empty() && name == opt.short_name)) {
            return &opt;
        }
    }
    return nullptr;
}

const ArgParser::Option *ArgParser::find_long(const std::string &long_name) const {
    for (const Option &opt : options_) {
        if (long_name == opt.long_name) {
            return &opt;
        }
    }
    return nullptr;
}

bool ArgParser::parse(int argc, char **argv) {
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            std::fputs(help_text().c_str(), stdout);
            return false;
        }
        if (arg.size() < 2 || arg[0] != '-') {
            throw UsageError("unexpected argument '" + arg + "'");
        }
        // "--name=value" is accepted as well as "--name value".
        std::string inline_value;
        bool has_inline_value = false;
        const size_t eq = arg.find('=');
        if (arg.compare(0, 2, "--") == 0 && eq != std::string::npos) {
            inline_value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_inline_value = true;
        }
        Option *opt = find(arg);
        if (!opt) {
            throw UsageError("unknown option '" + arg + "'");
        }
        if (opt->metavar.empty()) {
            if (has_inline_value) {
                throw UsageError("option '" + arg + "' takes no value");
            }
            opt->set("");
        } else if (has_inline_value) {
            opt->set(inline_value);
        } else {
            if (i + 1 >= argc) {
                throw UsageError("option '" + arg + "' needs a value (" + opt->metavar + ")");
            }
            opt->set(argv[++i]);
        }
        opt->seen = true;
    }
    return true;
}

bool ArgParser::given(const char *long_name) const {
    const Option *opt = find_long(long_name);
    return opt && opt->seen;
}

void ArgParser::require(const char *long_name) const {
    if (given(long_name)) {
        return;
    }
    const Option *opt = find_long(long_name);
    std::string name = long_name;
    if (opt && !opt->short_name.empty()) {
        name = opt->short_name + "/" + name;
    }
    throw UsageError("missing required option " + name);
}

std::string ArgParser::help_text() const {
    std::ostringstream out;
    out << "usage: llmrt " << command_ << " " << usage_ << "\n\n" << description_ << "\n\noptions:\n";
    for (const Option &opt : options_) {
        std::string names = opt.short_name.empty() ? "    " : opt.short_name + ", ";
        names += opt.long_name;
        if (!opt.metavar.empty()) {
            names += " " + opt.metavar;
        }
        out << "  " << names;
        const size_t column = 30;
        out << (names.size() < column ? std::string(column - names.size(), ' ') : "\n" + std::string(column + 2, ' '));
        out << opt.help;
        if (!opt.metavar.empty() && !opt.default_text.empty()) {
            out << " (default: " << opt.default_text << ")";
        }
        out << "\n";
    }
    out << "  -h, --help                    show this help\n";
    return out.str();
}

} // namespace cli
