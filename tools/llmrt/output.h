// Output helpers shared by the subcommands: JSON on stdout, aligned key/value lists and markdown
// tables for people, and number formatting.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace cli {

// ordered_json keeps keys in the order written, so objects read in a sensible order.
using json = nlohmann::ordered_json;

// Prints value as indented JSON plus a newline. Invalid UTF-8 (a token piece can be half a
// character) is replaced by U+FFFD instead of throwing.
void print_json(const json &value);

// Prints "key: value" lines with the values aligned.
void print_fields(const std::vector<std::pair<std::string, std::string>> &fields);

// A markdown table whose columns are padded to equal width, like llama-bench prints.
class Table {
public:
    explicit Table(std::vector<std::string> header);
    void add_row(std::vector<std::string> row);
    std::string markdown() const;

private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

// printf-style formatting into a std::string.
std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// "12.34 ± 0.56" with the given number of decimals.
std::string mean_pm(double mean, double stddev, int decimals);
// 1536 -> "1.50 KiB", for sizes shown to people.
std::string human_bytes(double bytes);

} // namespace cli
