// SentencePiece BPE with byte fallback, tokenizing exactly as llama.cpp's llm_tokenizer_spm
// (which equals sentencepiece's BPE for these vocabularies).
#pragma once

#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/special_tokens.h"
#include "tokenizer/token_vocab.h"
#include "tokenizer/tokenizer.h"

namespace llmrt {

class SpmTokenizer final : public Tokenizer {
public:
    explicit SpmTokenizer(SpmModelData model);

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
    // Tokenizes raw text between special tokens: optional dummy-prefix space, spaces -> "▁",
    // then score-driven BPE.
    void encode_text(std::string_view text, bool prefix_space, std::vector<int32_t> &out) const;
    void merge_by_score(const std::string &text, std::vector<int32_t> &out) const;
    // The token's text with "▁" -> " " and byte tokens as their byte; control/unknown/unused: "".
    std::string normal_piece(int32_t id) const;
    bool is_special_for_decode(int32_t id) const;

    TokenVocab vocab_;
    std::vector<float> scores_;
    SpecialTokenSplitter splitter_;
    int32_t unk_ = -1;
    int32_t bos_ = -1;
    int32_t eos_ = -1;
    bool add_dummy_prefix_ = true;
    bool remove_extra_whitespaces_ = false;
    bool add_bos_ = true;
    bool add_eos_ = false;
    std::vector<int32_t> end_of_generation_;
};

}  // namespace llmrt
