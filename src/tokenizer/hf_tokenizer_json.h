// Reading HF tokenizer.json (and the bits of tokenizer_config.json that change its behaviour)
// into an HfTokenizerConfig.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/hf_tokenizer.h"

namespace llmrt {

struct AddedToken {
    int32_t id = -1;
    std::string content;
    bool special = false;
    bool lstrip = false;
    bool rstrip = false;
};

// tokenizer.json parsed once. The model's "vocab" object and "merges" list are most of a large
// file (Gemma 3: 262k tokens, 515k merges): as a JSON tree they cost a map node, a string and
// (merges) an array per entry, so they go straight into vectors instead and are absent from
// `tree`, which holds the rest of the file.
struct TokenizerJson {
    nlohmann::json tree;
    bool has_vocab = false;  // model.vocab was an object
    std::vector<std::pair<std::string, int64_t>> vocab;  // in file order
    std::string vocab_error;  // the first value that is not an int32 id, shown; empty when none
    bool has_merges = false;  // model.merges was a list
    std::vector<std::pair<std::string, std::string>> merges;  // in rank order
    std::string merges_error;  // the first entry that is not "left right" or [left, right]
};

// Throws nlohmann::json::parse_error for text that is not JSON. The entries' content is checked
// by parse_tokenizer_json (vocab_error, merges_error), after the model type.
TokenizerJson read_tokenizer_json(std::string_view text);

// Throws Error(Status::Format / Status::Unsupported) naming `what`. Also for JSON values of
// the wrong type (the caller converts nlohmann exceptions). Takes the vocabulary's and merges'
// strings from `tokenizer`.
HfTokenizerConfig parse_tokenizer_json(TokenizerJson tokenizer, const nlohmann::json &tokenizer_config,
                                       const nlohmann::json &model_config, const std::string &what);

// A BPE model with a ByteLevel pre-tokenizer or decoder (GPT-2 family) rather than a
// SentencePiece-style one.
bool is_byte_level_bpe(const TokenizerJson &tokenizer);

// tokenizer.json "added_tokens".
std::vector<AddedToken> parse_added_tokens(const nlohmann::json &tokenizer, const std::string &what);
// tokenizer_config.json "added_tokens_decoder" ({"<id>": {"content": ..., "special": ...}}).
std::vector<AddedToken> parse_added_tokens_decoder(const nlohmann::json &tokenizer_config, const std::string &what);

}  // namespace llmrt
