#include "tokenizer/token_vocab.h"

#include <algorithm>

#include "core/error.h"

namespace llmrt {

TokenType token_type_from_int(int64_t value) {
    if (value < 1 || value > 6) return TokenType::Normal;
    return static_cast<TokenType>(value);
}

TokenVocab::TokenVocab(std::vector<std::string> texts, std::vector<TokenType> types)
    : texts_(std::move(texts)), types_(std::move(types)), byte_ids_(256, -1) {
    require(texts_.size() == types_.size(), Status::Internal, "token texts and types differ in count");
    index_.reserve(texts_.size());
    for (size_t i = 0; i < texts_.size(); ++i) {
        const int32_t id = static_cast<int32_t>(i);
        if (texts_[i].empty()) continue;  // a hole in the id space, never looked up
        index_.emplace(std::string_view(texts_[i]), id);  // keeps the first id of a duplicate
        const int byte = parse_byte_token(texts_[i]);
        if (byte >= 0 && byte_ids_[static_cast<size_t>(byte)] < 0) byte_ids_[static_cast<size_t>(byte)] = id;
    }
}

int32_t TokenVocab::find(std::string_view text) const {
    const auto it = index_.find(text);
    return it == index_.end() ? -1 : it->second;
}

int TokenVocab::parse_byte_token(std::string_view text) {
    if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
    int value = 0;
    for (size_t i = 3; i < 5; ++i) {
        const char c = text[i];
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (digit < 0) return -1;
        value = value * 16 + digit;
    }
    return value;
}

std::vector<int32_t> end_of_generation_tokens(const TokenVocab &vocab, int32_t eos,
                                              const std::vector<int32_t> &extra) {
    // The end-of-turn markers llama.cpp also treats as end of generation.
    static const char *const markers[] = {
        "<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|endoftext|>", "<|end_of_text|>",
        "<end_of_turn>", "<|end|>", "<EOT>", "<｜end▁of▁sentence｜>",
    };
    std::vector<int32_t> ids;
    if (vocab.contains(eos)) ids.push_back(eos);
    for (const int32_t id : extra) {
        if (vocab.contains(id)) ids.push_back(id);
    }
    for (const char *marker : markers) {
        const int32_t id = vocab.find(marker);
        if (id >= 0 && (vocab.type(id) == TokenType::Control || vocab.type(id) == TokenType::UserDefined)) {
            ids.push_back(id);
        }
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

}  // namespace llmrt
