#include "tokenizer/hf_tokenizer.h"

#include "core/error.h"
#include "tokenizer/unicode.h"

namespace llmrt {

HfTokenizer::HfTokenizer(HfTokenizerConfig config)
    : vocab_(std::move(config.texts), std::move(config.types)),
      config_(std::move(config)),
      model_(vocab_, config_.model_ids, config_.merges, config_.bpe, config_.what),
      splitter_(config_.added_tokens),
      bos_(vocab_.contains(config_.bos) ? config_.bos : -1),
      eos_(vocab_.contains(config_.eos) ? config_.eos : -1) {
    // The model owns what it needs from these now.
    config_.merges = {};
    config_.model_ids = {};
    end_of_generation_ = end_of_generation_tokens(vocab_, eos_, config_.extra_end_of_generation_ids);
}

std::vector<int32_t> HfTokenizer::encode(std::string_view text, bool add_special) const {
    return encode(text, add_special, false);
}

std::vector<int32_t> HfTokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
    std::vector<int32_t> out;
    if (add_special) out = config_.prefix_ids;
    for (const TextFragment &fragment : splitter_.split(text, parse_special)) {
        if (fragment.token >= 0) {
            out.push_back(fragment.token);
        } else {
            encode_section(fragment.text, fragment.offset == 0, out);
        }
    }
    if (add_special) out.insert(out.end(), config_.suffix_ids.begin(), config_.suffix_ids.end());
    return out;
}

void HfTokenizer::encode_section(std::string_view text, bool at_start, std::vector<int32_t> &out) const {
    const bool skip_prepend = config_.prepend_only_at_start && !at_start;
    std::string normalized = apply_normalizer(config_.normalizer, text, skip_prepend);
    for (const std::string &word : apply_pretokenizer(config_.pre_tokenizer, std::move(normalized), at_start)) {
        model_.encode(word, out);
    }
}

bool HfTokenizer::is_control(int32_t id) const {
    return vocab_.contains(id) && vocab_.type(id) == TokenType::Control;
}

namespace {

// HF ByteLevel decoder: a token whose characters are all byte-level characters becomes those
// bytes; any other token (e.g. an added token with other characters) stays as it is.
std::string byte_level_decode(const std::string &token) {
    std::string bytes;
    bytes.reserve(token.size());
    size_t pos = 0;
    uint32_t cp = 0;
    while (pos < token.size()) {
        const size_t n = utf8_decode(token, pos, cp);
        const int byte = n == 0 ? -1 : unicode_to_byte(cp);
        if (byte < 0) return token;
        bytes += static_cast<char>(byte);
        pos += n;
    }
    return bytes;
}

// transformers' PreTrainedTokenizerBase.clean_up_tokenization, replacement by replacement.
std::string clean_up_tokenization(std::string text) {
    static const char *const replacements[][2] = {
        {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
        {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"},
    };
    for (const auto &r : replacements) text = replace_all(text, r[0], r[1]);
    return text;
}

}  // namespace

std::string HfTokenizer::decode_token(int32_t id) const {
    std::string text = vocab_.text(id);
    for (const DecoderStep &step : config_.decoder) {
        switch (step.kind) {
        case DecoderStep::Kind::Replace:
            text = replace_all(text, step.from, step.to);
            break;
        case DecoderStep::Kind::ByteFallback: {
            const int byte = TokenVocab::parse_byte_token(text);
            if (byte >= 0) text.assign(1, static_cast<char>(byte));
            break;
        }
        case DecoderStep::Kind::ByteLevel:
            text = byte_level_decode(text);
            break;
        }
    }
    return text;
}

std::string HfTokenizer::piece(int32_t id) const {
    if (!vocab_.contains(id) || is_control(id)) return std::string();
    return decode_token(id);
}

std::string HfTokenizer::decode(const std::vector<int32_t> &ids, bool skip_special) const {
    std::string out;
    for (const int32_t id : ids) {
        if (!vocab_.contains(id) || (skip_special && is_control(id))) continue;
        out += decode_token(id);
    }
    size_t begin = 0;
    while (begin < config_.strip_start && begin < out.size() && out[begin] == config_.strip_char) ++begin;
    size_t end = out.size();
    for (size_t n = 0; n < config_.strip_stop && end > begin && out[end - 1] == config_.strip_char; ++n) --end;
    out = out.substr(begin, end - begin);
    if (config_.clean_up_spaces) out = clean_up_tokenization(out);
    return out;
}

}  // namespace llmrt
