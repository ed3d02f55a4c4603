#include "tokenizer/special_tokens.h"

#include <algorithm>

namespace llmrt {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

}  // namespace

SpecialTokenSplitter::SpecialTokenSplitter(std::vector<SpecialToken> tokens) {
    for (SpecialToken &t : tokens) {
        if (t.text.empty() || t.id < 0) continue;
        const auto first = static_cast<uint8_t>(t.text[0]);
        by_first_byte_[first].push_back(std::move(t));
        any_ = true;
    }
    for (auto &group : by_first_byte_) {
        std::stable_sort(group.begin(), group.end(), [](const SpecialToken &a, const SpecialToken &b) {
            return a.text.size() > b.text.size();
        });
    }
}

std::vector<TextFragment> SpecialTokenSplitter::split(std::string_view text, bool parse_special) const {
    std::vector<TextFragment> fragments;
    size_t raw_start = 0;  // start of the raw text not yet emitted
    const auto emit_raw = [&](size_t begin, size_t end) {
        if (end > begin) fragments.push_back({text.substr(begin, end - begin), -1, begin});
    };
    size_t pos = 0;
    while (any_ && pos < text.size()) {
        const SpecialToken *match = nullptr;
        for (const SpecialToken &t : by_first_byte_[static_cast<uint8_t>(text[pos])]) {
            if ((parse_special || !t.control) && text.compare(pos, t.text.size(), t.text) == 0) {
                match = &t;
                break;
            }
        }
        if (match == nullptr) {
            ++pos;
            continue;
        }
        size_t raw_end = pos;
        if (match->lstrip) {
            while (raw_end > raw_start && is_space(text[raw_end - 1])) --raw_end;
        }
        emit_raw(raw_start, raw_end);
        fragments.push_back({text.substr(pos, match->text.size()), match->id, pos});
        pos += match->text.size();
        if (match->rstrip) {
            while (pos < text.size() && is_space(text[pos])) ++pos;
        }
        raw_start = pos;
    }
    emit_raw(raw_start, text.size());
    return fragments;
}

}  // namespace llmrt
