// Splits text around special and added tokens written literally in it, before the model sees it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace llmrt {

struct SpecialToken {
    std::string text;
    int32_t id = -1;
    // Control tokens (BOS, <|im_end|>...) are only recognised when the caller asks to parse
    // special tokens; user-defined/added ones always are (as llama.cpp and HF both do).
    bool control = true;
    bool lstrip = false;  // swallow whitespace to the left of the token (HF AddedToken.lstrip)
    bool rstrip = false;  // swallow whitespace to the right
};

struct TextFragment {
    std::string_view text;  // raw text (token < 0) or the token's text
    int32_t token = -1;     // >= 0: a special token
    size_t offset = 0;      // where the fragment starts in the original text
};

class SpecialTokenSplitter {
public:
    SpecialTokenSplitter() = default;
    explicit SpecialTokenSplitter(std::vector<SpecialToken> tokens);

    // Leftmost match first; among tokens starting at the same place the longest wins.
    // Empty raw fragments are dropped.
    std::vector<TextFragment> split(std::string_view text, bool parse_special) const;

private:
    // Tokens grouped by first byte, longest first, so each position checks few candidates.
    std::array<std::vector<SpecialToken>, 256> by_first_byte_;
    bool any_ = false;
};

}  // namespace llmrt
