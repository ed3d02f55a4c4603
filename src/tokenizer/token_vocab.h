// The id <-> text table every tokenizer here is built on, with SentencePiece's token types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace llmrt {

// SentencePiece's piece types; GGUF's tokenizer.ggml.token_type uses the same numbers.
enum class TokenType : int32_t {
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
};

// Maps a raw type number to TokenType; numbers outside 1..6 are treated as Normal.
TokenType token_type_from_int(int64_t value);

class TokenVocab {
public:
    // texts[i] is token i in the vocabulary's own spelling (e.g. "▁the", "Ġthe", "<0x0A>").
    // When two ids share a text, text -> id lookups return the lower id.
    TokenVocab(std::vector<std::string> texts, std::vector<TokenType> types);

    // The lookup index points into texts_, so the table never moves.
    TokenVocab(const TokenVocab &) = delete;
    TokenVocab &operator=(const TokenVocab &) = delete;

    int32_t size() const { return static_cast<int32_t>(texts_.size()); }
    bool contains(int32_t id) const { return id >= 0 && id < size(); }
    const std::string &text(int32_t id) const { return texts_[static_cast<size_t>(id)]; }
    TokenType type(int32_t id) const { return types_[static_cast<size_t>(id)]; }
    int32_t find(std::string_view text) const;  // -1 when absent

    // The byte a "<0xNN>" token stands for, or -1.
    static int parse_byte_token(std::string_view text);
    // The id of "<0xNN>" for every byte (-1 where the vocabulary lacks it).
    const std::vector<int32_t> &byte_token_ids() const { return byte_ids_; }

private:
    std::vector<std::string> texts_;
    std::vector<TokenType> types_;
    std::unordered_map<std::string_view, int32_t> index_;
    std::vector<int32_t> byte_ids_;
};

// eos, the extra ids, and every control/user-defined token whose text marks an end of turn in
// known chat formats (<|eot_id|>, <|im_end|>, <|endoftext|>, <end_of_turn>...), sorted, unique,
// in range.
std::vector<int32_t> end_of_generation_tokens(const TokenVocab &vocab, int32_t eos,
                                              const std::vector<int32_t> &extra);

}  // namespace llmrt
