// A small declarative command-line parser: each subcommand registers its options with a pointer to
// where the value goes, then calls parse(). Values are validated here so the subcommands only ever
// see well-formed numbers; every problem becomes a UsageError (exit code 2).
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cli {

// A mistake on the command line: the tool prints it with a hint to --help and exits with 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class ArgParser {
public:
    // usage is the synopsis after "llmrt <command>", description one or two sentences.
    ArgParser(std::string command, std::string usage, std::string description);

    // short_name may be nullptr. Defaults shown by --help are the values *out holds at registration.
    void flag(const char *short_name, const char *long_name, const char *help, bool *out);
    void string(const char *short_name, const char *long_name, const char *metavar, const char *help,
                std::string *out);
    void integer(const char *short_name, const char *long_name, const char *metavar, const char *help,
                 int32_t *out, int64_t min_value, int64_t max_value);
    void uint64(const char *short_name, const char *long_name, const char *metavar, const char *help,
                uint64_t *out);
    void number(const char *short_name, const char *long_name, const char *metavar, const char *help,
                float *out, double min_value, double max_value);
    // A comma-separated list such as "1,2,4"; each element within [min_value, max_value].
    void integer_list(const char *short_name, const char *long_name, const char *metavar,
                      const char *help, std::vector<int32_t> *out, int64_t min_value,
                      int64_t max_value);

    // Parses argv[1..argc) (argv[0] is the subcommand name). Returns false if --help was given and
    // the help text has been printed: the caller should then exit 0. Throws UsageError.
    bool parse(int argc, char **argv);

    // Whether the option (by its long name, e.g. "--synthetic") appeared on the command line.
    bool given(const char *long_name) const;
    // Throws UsageError unless the option was given.
    void require(const char *long_name) const;

    std::string help_text() const;
    const std::string &command() const { return command_; }

private:
    struct Option {
        std::string short_name;
        std::string long_name;
        std::string metavar; // empty for flags: they take no value
        std::string help;
        std::string default_text;
        std::function<void(const std::string &)> set;
        bool seen = false;
    };

    void add(const char *short_name, const char *long_name, const char *metavar, const char *help,
             std::string default_text, std::function<void(const std::string &)> set);
    Option *find(const std::string &name);
    const Option *find_long(const std::string &long_name) const;

    std::string command_;
    std::string usage_;
    std::string description_;
    std::vector<Option> options_;
};

// Strict conversions used by the parser and by callers with their own formats. They accept the
// whole string or throw UsageError naming `what`.
int64_t parse_int(const std::string &text, const std::string &what, int64_t min_value,
                  int64_t max_value);
double parse_double(const std::string &text, const std::string &what, double min_value,
                    double max_value);

} // namespace cli
