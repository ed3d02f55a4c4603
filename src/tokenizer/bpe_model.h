// The BPE model of HF tokenizers (tokenizer.json "model": {"type": "BPE"}): a word starts as
// its characters and the adjacent pair with the lowest merge rank is merged until none applies.
// Used for byte-level vocabularies (GPT-2, Llama-3, Qwen) and for SentencePiece-style ones with
// byte fallback (Mistral/Llama tokenizer.json).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tokenizer/token_vocab.h"

namespace llmrt {

struct BpeOptions {
    int32_t unk_id = -1;         // the unknown token, -1 when none (unknown characters are dropped)
    bool fuse_unk = false;       // consecutive unknown characters give one unknown token
    bool byte_fallback = false;  // unknown characters become <0xNN> tokens
    bool ignore_merges = false;  // a word that is itself a token is emitted whole (Llama-3)
};

class BpeModel {
public:
    // model_ids: the ids that belong to the model's vocabulary (added tokens are not looked up
    // by the model). merges: pairs of token texts in rank order. `vocab` must outlive this.
    // Throws Error(Status::Format) naming `what` when a merge names a token that is not in
    // the vocabulary or produces one that is not.
    BpeModel(const TokenVocab &vocab, const std::vector<int32_t> &model_ids,
             const std::vector<std::pair<std::string, std::string>> &merges, BpeOptions options,
             const std::string &what);

    // Appends the ids of one pre-tokenized word.
    void encode(std::string_view word, std::vector<int32_t> &out) const;

private:
    struct Merge {
        int32_t rank;
        int32_t result;
    };
    static uint64_t pair_key(int32_t a, int32_t b) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
    }
    int32_t find(std::string_view text) const;  // model tokens only

    const TokenVocab &vocab_;
    std::unordered_map<std::string_view, int32_t> index_;  // views into vocab_'s texts
    std::unordered_map<uint64_t, Merge> merges_;
    BpeOptions options_;
};

}  // namespace llmrt
