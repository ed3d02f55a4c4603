// Reading HF tokenizer.json (and the bits of tokenizer_config.json that change its behaviour)
// into an HfTokenizerConfig.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
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

// Throws Error(Status::Format / Status::Unsupported) naming `what`. Also for JSON values of
// the wrong type (the caller converts nlohmann exceptions).
HfTokenizerConfig parse_tokenizer_json(const nlohmann::json &tokenizer, const nlohmann::json &tokenizer_config,
                                       const nlohmann::json &model_config, const std::string &what);

// A BPE model with a ByteLevel pre-tokenizer or decoder (GPT-2 family) rather than a
// SentencePiece-style one.
bool is_byte_level_bpe(const nlohmann::json &tokenizer);

// tokenizer.json "added_tokens".
std::vector<AddedToken> parse_added_tokens(const nlohmann::json &tokenizer, const std::string &what);
// tokenizer_config.json "added_tokens_decoder" ({"<id>": {"content": ..., "special": ...}}).
std::vector<AddedToken> parse_added_tokens_decoder(const nlohmann::json &tokenizer_config, const std::string &what);

}  // namespace llmrt
