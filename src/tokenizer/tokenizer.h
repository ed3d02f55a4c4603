// Text <-> token ids. One interface over SentencePiece BPE and byte-level BPE.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "formats/checkpoint.h"

namespace llmrt {

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    // add_special: prepend BOS (and whatever the tokenizer's template adds) as the reference
    // implementation does with add_special=true. Special-token text inside `text` is NOT parsed
    // as special tokens (llama.cpp parse_special=false).
    virtual std::vector<int32_t> encode(std::string_view text, bool add_special) const = 0;

    // Same, but with parse_special=true, control/special token text written in `text` (e.g.
    // "<|im_start|>", "<s>") becomes that token, as HF tokenizers do by default and llama.cpp
    // with parse_special=true. Added/user-defined (non-control) tokens are recognised either way.
    virtual std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const = 0;

    // The raw bytes a token contributes when it follows other tokens (SentencePiece "▁" becomes a
    // space, byte tokens <0xNN> become that byte, byte-level BPE symbols map back to bytes).
    // Control tokens (BOS/EOS...) give "". Out-of-range id: "".
    virtual std::string piece(int32_t id) const = 0;

    // The text of a token sequence. Matches the reference decode (e.g. SentencePiece drops the
    // space prefix it added at the start). skip_special drops control tokens (SentencePiece: and
    // the unknown token), like llama.cpp's token_to_piece(special=false); without it they appear
    // as their text, like llama_detokenize(unparse_special=true) and HF decode(skip_special_tokens=
    // False). Ids out of range are skipped. Bytes are returned as decoded, even when they are not
    // valid UTF-8 (e.g. a prefix of a multi-byte character): no U+FFFD replacement.
    virtual std::string decode(const std::vector<int32_t> &ids, bool skip_special) const = 0;

    virtual int32_t n_vocab() const = 0;
    // The id of the token spelled exactly `text` in the vocabulary's own spelling (e.g. "<|eot_id|>",
    // "▁the", "Ġthe"), or -1.
    virtual int32_t find_token(std::string_view text) const = 0;
    virtual int32_t bos() const = 0;  // -1 when none
    virtual int32_t eos() const = 0;  // -1 when none
    virtual bool is_control(int32_t id) const = 0;
    // Every id that ends a generation (eos, plus e.g. <|eot_id|>, <|im_end|> when the model
    // declares them).
    virtual std::vector<int32_t> end_of_generation_ids() const = 0;
};

// From an HF directory (tokenizer.model preferred for SentencePiece models, else tokenizer.json),
// or from GGUF metadata (tokenizer.ggml.*). bos/eos come from the checkpoint's configuration.
// Throws Error(Status::Format / Status::Unsupported) naming the file and problem.
std::unique_ptr<Tokenizer> load_tokenizer(const Checkpoint &checkpoint);

}  // namespace llmrt
