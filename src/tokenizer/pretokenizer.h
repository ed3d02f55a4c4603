// HF tokenizers pre-tokenizers that BPE models use: ByteLevel, Split, Metaspace.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/regex.h"

namespace llmrt {

// HF SplitDelimiterBehavior: what happens to the pattern's matches when splitting.
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

struct PreTokenizerStep {
    enum class Kind {
        ByteLevel,  // optional prefix space, optional GPT-2 regex split, bytes -> GPT-2 characters
        Split,      // split on `regex` / `literal` with `behavior` (matches and gaps swapped if invert)
        Metaspace,  // ' ' -> `replacement`, prefix per `prepend`, optional split before each one
    };
    enum class Prepend { Always, First, Never };
    Kind kind = Kind::ByteLevel;
    bool add_prefix_space = false;       // ByteLevel
    std::shared_ptr<const Regex> regex;  // ByteLevel (when it splits) and Split
    std::string literal;                 // Split with a string pattern
    SplitBehavior behavior = SplitBehavior::Isolated;
    bool invert = false;
    std::string replacement = "\xe2\x96\x81";  // Metaspace
    Prepend prepend = Prepend::Always;
    bool split = true;
};

// Runs the steps over one normalized section. at_start: the section begins the input (for
// Metaspace's "first" prepend scheme). Empty pieces are dropped.
std::vector<std::string> apply_pretokenizer(const std::vector<PreTokenizerStep> &steps, std::string text,
                                            bool at_start);

// GPT-2's pre-tokenizer regex (HF ByteLevel with use_regex=true).
const std::string &gpt2_pretokenizer_pattern();

}  // namespace llmrt
