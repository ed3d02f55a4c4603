#include "output.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>

namespace cli {

void print_json(const json &value) {
    const std::string text = value.dump(2, ' ', false, json::error_handler_t::replace);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

void print_fields(const std::vector<std::pair<std::string, std::string>> &fields) {
    size_t width = 0;
    for (const auto &field : fields) {
        width = std::max(width, field.first.size());
    }
    for (const auto &field : fields) {
        std::printf("%-*s : %s\n", static_cast<int>(width), field.first.c_str(),
                    field.second.c_str());
    }
}

Table::Table(std::vector<std::string> header) : header_(std::move(header)) {}

void Table::add_row(std::vector<std::string> row) {
    row.resize(header_.size());
    rows_.push_back(std::move(row));
}

namespace {

// Display width in characters: counts UTF-8 lead bytes so "±" pads like one column.
size_t display_width(const std::string &text) {
    size_t width = 0;
    for (unsigned char c : text) {
        width += (c & 0xC0) != 0x80;
    }
    return width;
}

std::string pad(const std::string &text, size_t width, bool right_align) {
    const size_t w = display_width(text);
    const std::string fill(width > w ? width - w : 0, ' ');
    return right_align ? fill + text : text + fill;
}

} // namespace

std::string Table::markdown() const {
    std::vector<size_t> widths(header_.size());
    for (size_t c = 0; c < header_.size(); ++c) {
        widths[c] = display_width(header_[c]);
        for (const auto &row : rows_) {
            widths[c] = std::max(widths[c], display_width(row[c]));
        }
    }
    // The first column holds names; the others hold numbers, which read better right-aligned.
    std::string out = "|";
    for (size_t c = 0; c < header_.size(); ++c) {
        out += " " + pad(header_[c], widths[c], c > 0) + " |";
    }
    out += "\n|";
    for (size_t c = 0; c < header_.size(); ++c) {
        out += c > 0 ? " " + std::string(widths[c] - 1, '-') + ": |" : " " + std::string(widths[c], '-') + " |";
    }
    out += "\n";
    for (const auto &row : rows_) {
        out += "|";
        for (size_t c = 0; c < header_.size(); ++c) {
            out += " " + pad(row[c], widths[c], c > 0) + " |";
        }
        out += "\n";
    }
    return out;
}

std::string format(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    va_list copy;
    va_copy(copy, args);
    const int n = std::vsnprintf(nullptr, 0, fmt, copy);
    va_end(copy);
    std::string out(n > 0 ? static_cast<size_t>(n) : 0, '\0');
    std::vsnprintf(out.data(), out.size() + 1, fmt, args);
    va_end(args);
    return out;
}

std::string mean_pm(double mean, double stddev, int decimals) {
    return format("%.*f ± %.*f", decimals, mean, decimals, stddev);
}

std::string human_bytes(double bytes) {
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (bytes >= 1024.0 && unit < 4) {
        bytes /= 1024.0;
        ++unit;
    }
    return unit == 0 ? format("%.0f %s", bytes, units[unit]) : format("%.2f %s", bytes, units[unit]);
}

} // namespace cli
