// What a SentencePiece vocabulary says, whether it came from tokenizer.model (a ModelProto) or
// from GGUF metadata (tokenizer.ggml.model = "llama").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/token_vocab.h"

namespace llmrt {

// lstrip/rstrip of an added token (HF added_tokens), by id.
struct TokenStrip {
    int32_t id = -1;
    bool lstrip = false;
    bool rstrip = false;
};

struct SpmModelData {
    std::vector<std::string> pieces;  // SentencePiece spelling: "▁the", "<0x0A>", "<s>"
    std::vector<float> scores;
    std::vector<TokenType> types;

    int32_t unk_id = 0;  // -1 when none
    int32_t bos_id = 1;
    int32_t eos_id = 2;
    bool byte_fallback = false;

    bool add_dummy_prefix = true;           // "▁" before the text (and after parsed specials)
    bool remove_extra_whitespaces = false;  // strip and collapse runs of spaces first
    bool add_bos = true;                    // with add_special
    bool add_eos = false;

    std::vector<int32_t> extra_end_of_generation_ids;  // e.g. config.json's list of eos ids
    std::vector<TokenStrip> strip;
};

// Parses a serialized sentencepiece ModelProto. `what` names the file in error messages.
// Throws Error(Status::Format) on malformed or inconsistent data, Error(Status::Unsupported)
// for model types other than BPE (unigram, word, char).
SpmModelData parse_sentencepiece_model(std::string_view bytes, const std::string &what);

}  // namespace llmrt
