// HF tokenizers normalizers that BPE models use: NFC, Prepend, Replace.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/regex.h"

namespace llmrt {

struct NormalizerStep {
    enum class Kind {
        Nfc,      // Unicode canonical composition
        Prepend,  // `text` before non-empty input
        Replace,  // every match of `regex` (or every occurrence of `literal`) -> `text`
    };
    Kind kind = Kind::Nfc;
    std::string text;
    std::string literal;
    std::shared_ptr<const Regex> regex;
};

// Applies the steps in order. skip_prepend leaves out Prepend steps (transformers' Llama
// legacy=false: no second dummy prefix after a special token).
std::string apply_normalizer(const std::vector<NormalizerStep> &steps, std::string_view text, bool skip_prepend);

// Every non-overlapping occurrence of `from` (non-empty) replaced by `to`.
std::string replace_all(std::string_view text, std::string_view from, std::string_view to);

}  // namespace llmrt
