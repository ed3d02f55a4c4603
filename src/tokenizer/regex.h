// A compiled PCRE2 pattern (UTF + UCP, so \p{L}, \s and (?i) follow Unicode), used by the
// pre-tokenizers. Matching is const and thread-safe: match data is per call.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmrt {

class Regex {
public:
    // Throws Error(Status::Format) naming `what` when the pattern does not compile.
    Regex(const std::string &pattern, const std::string &what);
    ~Regex();
    Regex(const Regex &) = delete;
    Regex &operator=(const Regex &) = delete;

    // Every non-overlapping, non-empty match in `text` as [begin, end) byte ranges, left to
    // right. `text` must be valid UTF-8 (see utf8_valid_prefix).
    std::vector<std::pair<size_t, size_t>> find_all(std::string_view text) const;

private:
    void *code_ = nullptr;  // pcre2_code_8*, kept opaque so users need not include pcre2.h
};

}  // namespace llmrt
