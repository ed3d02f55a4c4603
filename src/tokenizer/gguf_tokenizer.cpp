// Tokenizers from GGUF metadata, as llama.cpp's llama_vocab::load reads it:
//   tokenizer.ggml.model        "llama" (SentencePiece) or "gpt2" (byte-level BPE)
//   tokenizer.ggml.tokens       [string]      tokenizer.ggml.scores [f32]   tokenizer.ggml.token_type [i32]
//   tokenizer.ggml.merges       [string] "a b" (gpt2)
//   tokenizer.ggml.pre          pre-tokenizer name (gpt2): "gpt-2", "llama-bpe", "qwen2", ...
//   tokenizer.ggml.{bos,eos,unknown,eot,eom}_token_id, add_bos_token, add_eos_token,
//   add_space_prefix, remove_extra_whitespaces
#include <algorithm>

#include "core/error.h"
#include "tokenizer/hf_tokenizer.h"
#include "tokenizer/loaders.h"
#include "tokenizer/sentencepiece_model.h"
#include "tokenizer/spm_tokenizer.h"

namespace llmrt {
namespace {

class GgufKeys {
public:
    GgufKeys(const Metadata &metadata, const std::string &what) : metadata_(metadata), what_(what) {}

    const MetaValue *find(const std::string &key) const {
        const auto it = metadata_.find(key);
        return it == metadata_.end() ? nullptr : &it->second;
    }

    std::string string(const std::string &key) const {
        const MetaValue *v = find(key);
        require(v != nullptr, Status::Format, what_ + ": no " + key + " (the file has no tokenizer)");
        require(v->kind == MetaValue::Kind::String, Status::Format, what_ + ": " + key + " is not a string");
        return v->s;
    }

    std::string string_or(const std::string &key, const std::string &fallback) const {
        return find(key) ? string(key) : fallback;
    }

    bool flag(const std::string &key, bool fallback) const {
        const MetaValue *v = find(key);
        if (v == nullptr) return fallback;
        require(v->kind == MetaValue::Kind::Bool || v->is_number(), Status::Format, what_ + ": " + key + " is not a bool");
        return v->kind == MetaValue::Kind::Bool ? v->b : v->as_int() != 0;
    }

    // A token id: -1 when absent, and (like llama.cpp) when it does not name a token.
    int32_t token_id(const std::string &key, int32_t fallback, size_t n_tokens) const {
        const MetaValue *v = find(key);
        int64_t id = fallback;
        if (v != nullptr) {
            require(v->is_number(), Status::Format, what_ + ": " + key + " is not a number");
            id = v->as_int();
        }
        return (id >= 0 && id < static_cast<int64_t>(n_tokens)) ? static_cast<int32_t>(id) : -1;
    }

    const std::vector<MetaValue> &array(const std::string &key, MetaValue::Kind element) const {
        const MetaValue *v = find(key);
        require(v != nullptr, Status::Format, what_ + ": no " + key);
        require(v->kind == MetaValue::Kind::Array, Status::Format, what_ + ": " + key + " is not an array");
        for (const MetaValue &e : v->array) {
            const bool ok = element == MetaValue::Kind::String ? e.kind == element : e.is_number();
            require(ok, Status::Format, what_ + ": " + key + " holds an element of the wrong type");
        }
        return v->array;
    }

    // An optional array that must have one entry per token.
    const std::vector<MetaValue> *per_token(const std::string &key, MetaValue::Kind element, size_t n_tokens) const {
        if (find(key) == nullptr) return nullptr;
        const std::vector<MetaValue> &values = array(key, element);
        require(values.size() == n_tokens, Status::Format,
                what_ + ": " + key + " has " + std::to_string(values.size()) + " entries for " +
                    std::to_string(n_tokens) + " tokens");
        return &values;
    }

    const std::string &what() const { return what_; }

private:
    const Metadata &metadata_;
    const std::string &what_;
};

std::vector<std::string> read_tokens(const GgufKeys &keys) {
    const std::vector<MetaValue> &values = keys.array("tokenizer.ggml.tokens", MetaValue::Kind::String);
    require(!values.empty(), Status::Format, keys.what() + ": tokenizer.ggml.tokens is empty");
    require(values.size() <= static_cast<size_t>(INT32_MAX), Status::Format, keys.what() + ": too many tokens");
    std::vector<std::string> tokens;
    tokens.reserve(values.size());
    for (const MetaValue &v : values) tokens.push_back(v.s);
    return tokens;
}

std::vector<TokenType> read_types(const GgufKeys &keys, size_t n_tokens) {
    std::vector<TokenType> types(n_tokens, TokenType::Normal);
    if (const auto *values = keys.per_token("tokenizer.ggml.token_type", MetaValue::Kind::Int, n_tokens)) {
        for (size_t i = 0; i < n_tokens; ++i) types[i] = token_type_from_int((*values)[i].as_int());
    }
    return types;
}

std::vector<int32_t> extra_end_ids(const GgufKeys &keys, size_t n_tokens) {
    std::vector<int32_t> ids;
    for (const char *key : {"tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
        const int32_t id = keys.token_id(key, -1, n_tokens);
        if (id >= 0) ids.push_back(id);
    }
    return ids;
}

std::unique_ptr<Tokenizer> sentencepiece_from_gguf(const GgufKeys &keys) {
    SpmModelData model;
    model.pieces = read_tokens(keys);
    const size_t n = model.pieces.size();
    model.types = read_types(keys, n);
    model.scores.assign(n, 0.0f);
    if (const auto *scores = keys.per_token("tokenizer.ggml.scores", MetaValue::Kind::Float, n)) {
        for (size_t i = 0; i < n; ++i) model.scores[i] = static_cast<float>((*scores)[i].as_double());
        require(std::none_of(model.scores.begin(), model.scores.end(), [](float s) { return s != s; }),
                Status::Format, keys.what() + ": tokenizer.ggml.scores holds NaN");
    }
    // llama.cpp's defaults for SentencePiece vocabularies.
    model.unk_id = keys.token_id("tokenizer.ggml.unknown_token_id", 0, n);
    model.bos_id = keys.token_id("tokenizer.ggml.bos_token_id", 1, n);
    model.eos_id = keys.token_id("tokenizer.ggml.eos_token_id", 2, n);
    model.add_bos = keys.flag("tokenizer.ggml.add_bos_token", true);
    model.add_eos = keys.flag("tokenizer.ggml.add_eos_token", false);
    model.add_dummy_prefix = keys.flag("tokenizer.ggml.add_space_prefix", true);
    model.remove_extra_whitespaces = keys.flag("tokenizer.ggml.remove_extra_whitespaces", false);
    model.byte_fallback = std::count(model.types.begin(), model.types.end(), TokenType::Byte) == 256;
    model.extra_end_of_generation_ids = extra_end_ids(keys, n);
    return std::make_unique<SpmTokenizer>(std::move(model));
}

// llama.cpp's regex and flags per tokenizer.ggml.pre (the families this runtime supports).
struct PreTokenizerPreset {
    std::string pattern;  // empty: GPT-2's ByteLevel regex
    bool ignore_merges = false;
    bool add_bos = false;
    bool nfc = false;  // HF's Qwen2 tokenizer normalizes to NFC (llama.cpp does not)
    bool clean_spaces = true;  // llama.cpp's detokenize clean-up, on by default for BPE
};

PreTokenizerPreset preset_for(const std::string &pre, const std::string &what) {
    static const std::string llama3 =
        R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
    static const std::string qwen2 =
        R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
    if (pre.empty() || pre == "default" || pre == "gpt-2" || pre == "phi-2") return {};
    if (pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe" || pre == "falcon3") {
        return {llama3, true, true, false, true};
    }
    if (pre == "smaug-bpe") return {llama3, false, false, false, true};
    if (pre == "qwen2" || pre == "deepseek-r1-qwen") return {qwen2, false, false, true, false};
    if (pre == "stablelm2") return {qwen2, false, false, false, true};
    fail(Status::Unsupported, what + ": tokenizer.ggml.pre \"" + pre + "\" is not supported");
}

std::unique_ptr<Tokenizer> byte_level_bpe_from_gguf(const GgufKeys &keys) {
    HfTokenizerConfig config;
    config.what = keys.what();
    config.texts = read_tokens(keys);
    const size_t n = config.texts.size();
    config.types = read_types(keys, n);
    for (size_t i = 0; i < n; ++i) {
        const TokenType type = config.types[i];
        const auto id = static_cast<int32_t>(i);
        if (type == TokenType::Normal || type == TokenType::Byte) {
            config.model_ids.push_back(id);
        } else if (type == TokenType::Control || type == TokenType::UserDefined || type == TokenType::Unknown) {
            SpecialToken t;
            t.text = config.texts[i];
            t.id = id;
            t.control = type != TokenType::UserDefined;
            config.added_tokens.push_back(std::move(t));
        }
    }
    for (const MetaValue &merge : keys.array("tokenizer.ggml.merges", MetaValue::Kind::String)) {
        // Byte-level tokens never contain a raw space, so the first one separates the pair.
        const size_t space = merge.s.find(' ', 1);
        require(space != std::string::npos, Status::Format,
                keys.what() + ": tokenizer.ggml.merges entry \"" + merge.s + "\" is not \"left right\"");
        config.merges.emplace_back(merge.s.substr(0, space), merge.s.substr(space + 1));
    }

    const PreTokenizerPreset preset = preset_for(keys.string_or("tokenizer.ggml.pre", ""), keys.what());
    if (preset.nfc) config.normalizer.push_back(NormalizerStep{});
    PreTokenizerStep byte_level;
    byte_level.kind = PreTokenizerStep::Kind::ByteLevel;
    if (preset.pattern.empty()) {
        byte_level.regex = std::make_shared<const Regex>(gpt2_pretokenizer_pattern(), keys.what());
    } else {
        PreTokenizerStep split;
        split.kind = PreTokenizerStep::Kind::Split;
        split.regex = std::make_shared<const Regex>(preset.pattern, keys.what());
        split.behavior = SplitBehavior::Isolated;
        config.pre_tokenizer.push_back(std::move(split));
    }
    config.pre_tokenizer.push_back(std::move(byte_level));
    config.bpe.ignore_merges = preset.ignore_merges;

    config.bos = keys.token_id("tokenizer.ggml.bos_token_id", -1, n);
    config.eos = keys.token_id("tokenizer.ggml.eos_token_id", -1, n);
    if (keys.flag("tokenizer.ggml.add_bos_token", preset.add_bos) && config.bos >= 0) config.prefix_ids.push_back(config.bos);
    if (keys.flag("tokenizer.ggml.add_eos_token", false) && config.eos >= 0) config.suffix_ids.push_back(config.eos);
    config.decoder.push_back(DecoderStep{DecoderStep::Kind::ByteLevel, "", ""});
    // llama.cpp cleans up spaces before punctuation when detokenizing most BPE vocabularies (its
    // own variant of transformers' rule; they differ only on " n't", which llama.cpp keeps).
    config.clean_up_spaces = preset.clean_spaces;
    config.extra_end_of_generation_ids = extra_end_ids(keys, n);
    return std::make_unique<HfTokenizer>(std::move(config));
}

}  // namespace

std::unique_ptr<Tokenizer> tokenizer_from_gguf(const Metadata &metadata, const std::string &what) {
    const GgufKeys keys(metadata, what);
    const std::string model = keys.string("tokenizer.ggml.model");
    if (model == "llama") return sentencepiece_from_gguf(keys);
    if (model == "gpt2") return byte_level_bpe_from_gguf(keys);
    fail(Status::Unsupported, what + ": tokenizer.ggml.model \"" + model + "\" is not supported (llama, gpt2 are)");
}

}  // namespace llmrt
