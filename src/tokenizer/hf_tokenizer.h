// The HF tokenizers pipeline for BPE models: added-token split -> normalizer -> pre-tokenizer ->
// BPE model -> post-processor, and decoder. Built from tokenizer.json (hf_tokenizer_json.cpp) or
// from GGUF "gpt2" metadata (gguf_tokenizer.cpp).
//
// What tokenizer.json may use (anything else is rejected with Status::Unsupported):
//   model          BPE (byte_fallback, fuse_unk, ignore_merges, unk_token; dropout is ignored)
//   normalizer     NFC, Prepend, Replace, Sequence
//   pre_tokenizer  ByteLevel, Split (String/Regex, all behaviours, invert), Metaspace, Sequence
//   post_processor TemplateProcessing (single), RobertaProcessing, BertProcessing, ByteLevel, Sequence
//   decoder        ByteLevel, Replace (String), ByteFallback, Fuse, Strip, Metaspace, Sequence
// Differences from the Rust library: added tokens are found in the raw text (leftmost, longest
// first), also those marked normalized=true, and single_word is ignored; regexes run on PCRE2
// (UTF + UCP) instead of Oniguruma; decode returns raw bytes where HF would substitute U+FFFD.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenizer/bpe_model.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/special_tokens.h"
#include "tokenizer/token_vocab.h"
#include "tokenizer/tokenizer.h"

namespace llmrt {

struct DecoderStep {
    enum class Kind {
        Replace,       // literal `from` -> `to` inside each token
        ByteFallback,  // "<0xNN>" -> that byte
        ByteLevel,     // GPT-2 characters -> bytes
    };
    Kind kind = Kind::Replace;
    std::string from;
    std::string to;
};

struct HfTokenizerConfig {
    std::string what;  // the source file, for messages

    // The whole id space: model vocabulary and added tokens (holes: empty text, Unused).
    std::vector<std::string> texts;
    std::vector<TokenType> types;
    std::vector<int32_t> model_ids;  // ids the BPE model looks up
    std::vector<std::pair<std::string, std::string>> merges;
    BpeOptions bpe;

    std::vector<SpecialToken> added_tokens;  // split out of the text before normalization

    std::vector<NormalizerStep> normalizer;
    // transformers' Llama legacy=false: the Prepend normalizer applies only to text at the very
    // start of the input, not again after a special token.
    bool prepend_only_at_start = false;
    std::vector<PreTokenizerStep> pre_tokenizer;

    // add_special: these ids go before / after the encoded text (TemplateProcessing "single").
    std::vector<int32_t> prefix_ids;
    std::vector<int32_t> suffix_ids;

    std::vector<DecoderStep> decoder;
    char strip_char = ' ';  // decoder Strip: up to strip_start / strip_stop of strip_char at the ends
    size_t strip_start = 0;
    size_t strip_stop = 0;
    // transformers' clean_up_tokenization (" ." -> "." ...) after decoding, when
    // tokenizer_config.json sets clean_up_tokenization_spaces. Lossy; piece() never applies it.
    bool clean_up_spaces = false;

    int32_t bos = -1;
    int32_t eos = -1;
    std::vector<int32_t> extra_end_of_generation_ids;
};

class HfTokenizer final : public Tokenizer {
public:
    explicit HfTokenizer(HfTokenizerConfig config);

    std::vector<int32_t> encode(std::string_view text, bool add_special) const override;
    std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const override;
    std::string piece(int32_t id) const override;
    std::string decode(const std::vector<int32_t> &ids, bool skip_special) const override;
    int32_t n_vocab() const override { return vocab_.size(); }
    int32_t find_token(std::string_view text) const override { return vocab_.find(text); }
    int32_t bos() const override { return bos_; }
    int32_t eos() const override { return eos_; }
    bool is_control(int32_t id) const override;
    std::vector<int32_t> end_of_generation_ids() const override { return end_of_generation_; }

private:
    void encode_section(std::string_view text, bool at_start, std::vector<int32_t> &out) const;
    std::string decode_token(int32_t id) const;  // the decoder's per-token steps

    TokenVocab vocab_;
    HfTokenizerConfig config_;  // texts/types moved into vocab_
    BpeModel model_;
    SpecialTokenSplitter splitter_;
    int32_t bos_ = -1;
    int32_t eos_ = -1;
    std::vector<int32_t> end_of_generation_;
};

}  // namespace llmrt
