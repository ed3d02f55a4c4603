// The tokenizer builders behind load_tokenizer(), usable on their own (tests, tools).
// All throw Error: Status::Io (unreadable file), Status::Format (malformed or missing data,
// naming the file), Status::Unsupported (a valid tokenizer kind this code does not implement).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "formats/metadata.h"
#include "tokenizer/tokenizer.h"

namespace llmrt {

// An HF model directory: tokenizer.model for SentencePiece models (when tokenizer.json is absent
// or not byte-level BPE), else tokenizer.json; tokenizer_config.json when present.
// model_config is config.json (bos_token_id / eos_token_id), or an empty object.
std::unique_ptr<Tokenizer> load_hf_directory_tokenizer(const std::string &dir, const nlohmann::json &model_config);

// tokenizer.json text. tokenizer_config: tokenizer_config.json or an empty object.
// `what` names the file in messages.
std::unique_ptr<Tokenizer> tokenizer_from_json(std::string_view json_text, const nlohmann::json &tokenizer_config,
                                               const nlohmann::json &model_config, const std::string &what);

// A serialized SentencePiece ModelProto (tokenizer.model), with BOS added by add_special.
std::unique_ptr<Tokenizer> tokenizer_from_sentencepiece(std::string_view model_bytes, const std::string &what);

// GGUF tokenizer.ggml.* metadata ("llama" = SentencePiece, "gpt2" = byte-level BPE).
std::unique_ptr<Tokenizer> tokenizer_from_gguf(const Metadata &metadata, const std::string &what);

}  // namespace llmrt
