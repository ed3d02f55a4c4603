#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/regex.h"

#include <pcre2.h>

#include <memory>

#include "core/error.h"
#include "tokenizer/unicode.h"

namespace llmrt {
namespace {

std::string pcre2_message(int code) {
    PCRE2_UCHAR buffer[256];
    const int n = pcre2_get_error_message(code, buffer, sizeof(buffer));
    return n < 0 ? "PCRE2 error " + std::to_string(code) : std::string(reinterpret_cast<const char *>(buffer));
}

struct MatchDataDeleter {
    void operator()(pcre2_match_data *md) const { pcre2_match_data_free(md); }
};

}  // namespace

Regex::Regex(const std::string &pattern, const std::string &what) {
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    pcre2_code *code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     PCRE2_UTF | PCRE2_UCP, &error, &error_offset, nullptr);
    if (code == nullptr) {
        fail(Status::Format, what + ": pre-tokenizer regex does not compile at offset " +
                                   std::to_string(error_offset) + ": " + pcre2_message(error));
    }
    // JIT is only a speed-up: without it (unsupported CPU, disabled build) matching interprets.
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    code_ = code;
}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code *>(code_)); }

std::vector<std::pair<size_t, size_t>> Regex::find_all(std::string_view text) const {
    std::vector<std::pair<size_t, size_t>> matches;
    if (text.empty()) return matches;
    const auto *code = static_cast<const pcre2_code *>(code_);
    std::unique_ptr<pcre2_match_data, MatchDataDeleter> md(pcre2_match_data_create_from_pattern(code, nullptr));
    if (!md) fail(Status::OutOfMemory, "out of memory for regex match data");
    const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());

    uint32_t options = 0;  // the first call validates the UTF-8; later ones need not repeat it
    size_t offset = 0;
    while (offset < text.size()) {
        int rc = pcre2_match(code, subject, text.size(), offset, options, md.get(), nullptr);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
            rc = pcre2_match(code, subject, text.size(), offset, options | PCRE2_NO_JIT, md.get(), nullptr);
        }
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            fail(Status::Unsupported, "pre-tokenizer regex failed on the input: " + pcre2_message(rc));
        }
        options |= PCRE2_NO_UTF_CHECK;
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md.get());
        const size_t begin = ov[0];
        const size_t end = ov[1];
        if (end <= begin || begin < offset) {
            // An empty match: step over one character so the loop always advances.
            const size_t from = begin < offset ? offset : begin;
            if (from >= text.size()) break;
            offset = from + utf8_char_length(text, from);
            continue;
        }
        matches.emplace_back(begin, end);
        offset = end;
    }
    return matches;
}

}  // namespace llmrt
