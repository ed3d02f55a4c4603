#include "tokenizer/spm_tokenizer.h"

#include <queue>

#include "core/error.h"
#include "tokenizer/unicode.h"

namespace llmrt {
namespace {

const std::string kSpaceSymbol = "\xe2\x96\x81";  // U+2581 "▁", SentencePiece's space

std::string escape_spaces(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 4);
    for (const char c : text) {
        if (c == ' ') {
            out += kSpaceSymbol;
        } else {
            out += c;
        }
    }
    return out;
}

std::string unescape_spaces(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        if (text.compare(pos, kSpaceSymbol.size(), kSpaceSymbol) == 0) {
            out += ' ';
            pos += kSpaceSymbol.size();
        } else {
            out += text[pos++];
        }
    }
    return out;
}

// sentencepiece's remove_extra_whitespaces: drop leading and trailing spaces, collapse runs.
std::string collapse_spaces(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool pending_space = false;
    for (const char c : text) {
        if (c == ' ') {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        out += c;
    }
    return out;
}

// A symbol is a run of bytes of the text, linked to its neighbours; merged-away ones have len 0.
struct Symbol {
    size_t start = 0;
    size_t len = 0;
    int prev = -1;
    int next = -1;
};

struct Bigram {
    float score = 0.0f;
    int left = 0;
    int right = 0;
    size_t len = 0;  // len of the merged text when queued: stale entries no longer match it
};

// Highest score first; on ties the leftmost pair (llama.cpp's llm_bigram_spm ordering).
struct BigramOrder {
    bool operator()(const Bigram &a, const Bigram &b) const {
        return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
};

}  // namespace

SpmTokenizer::SpmTokenizer(SpmModelData model)
    : vocab_(std::move(model.pieces), std::move(model.types)),
      scores_(std::move(model.scores)),
      unk_(model.unk_id),
      bos_(model.bos_id),
      eos_(model.eos_id),
      add_dummy_prefix_(model.add_dummy_prefix),
      remove_extra_whitespaces_(model.remove_extra_whitespaces),
      add_bos_(model.add_bos),
      add_eos_(model.add_eos) {
    require(static_cast<int32_t>(scores_.size()) == vocab_.size(), Status::Internal,
            "SentencePiece scores and pieces differ in count");
    if (!vocab_.contains(unk_)) unk_ = -1;
    if (!vocab_.contains(bos_)) bos_ = -1;
    if (!vocab_.contains(eos_)) eos_ = -1;

    // Control and unknown tokens are split out of the text only on request; user-defined ones
    // always (sentencepiece and llama.cpp both match them in raw text).
    std::vector<SpecialToken> specials;
    for (int32_t id = 0; id < vocab_.size(); ++id) {
        const TokenType type = vocab_.type(id);
        if (type != TokenType::Control && type != TokenType::Unknown && type != TokenType::UserDefined) continue;
        SpecialToken t;
        // User-defined pieces are written with "▁" for spaces (e.g. Gemma's "▁▁▁▁"); llama.cpp's
        // GGUF conversion stores them with spaces and matches them in the raw text.
        t.text = type == TokenType::UserDefined ? unescape_spaces(vocab_.text(id)) : vocab_.text(id);
        t.id = id;
        t.control = type != TokenType::UserDefined;
        for (const TokenStrip &s : model.strip) {
            if (s.id == id) t.lstrip = s.lstrip, t.rstrip = s.rstrip;
        }
        specials.push_back(std::move(t));
    }
    splitter_ = SpecialTokenSplitter(std::move(specials));
    end_of_generation_ = end_of_generation_tokens(vocab_, eos_, model.extra_end_of_generation_ids);
}

std::vector<int32_t> SpmTokenizer::encode(std::string_view text, bool add_special) const {
    return encode(text, add_special, false);
}

std::vector<int32_t> SpmTokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
    std::vector<int32_t> out;
    if (add_special && add_bos_ && bos_ >= 0) out.push_back(bos_);
    // Like llama.cpp, raw text that starts the input or follows a special token gets the dummy
    // prefix: sentencepiece would see each such piece as a fresh sentence.
    bool after_special = true;
    for (const TextFragment &fragment : splitter_.split(text, parse_special)) {
        if (fragment.token >= 0) {
            out.push_back(fragment.token);
            after_special = true;
        } else {
            encode_text(fragment.text, add_dummy_prefix_ && after_special, out);
            after_special = false;
        }
    }
    if (add_special && add_eos_ && eos_ >= 0) out.push_back(eos_);
    return out;
}

void SpmTokenizer::encode_text(std::string_view text, bool prefix_space, std::vector<int32_t> &out) const {
    std::string normalized;
    if (remove_extra_whitespaces_) {
        normalized = collapse_spaces(text);
        if (normalized.empty()) return;
    } else {
        normalized.assign(text);
    }
    if (prefix_space) normalized.insert(0, 1, ' ');
    merge_by_score(escape_spaces(normalized), out);
}

// llama.cpp's llm_tokenizer_spm: start from UTF-8 characters and repeatedly merge the adjacent
// pair whose concatenation is a vocabulary piece with the highest score. O(n log n). Unlike
// llama.cpp, an invalid UTF-8 byte is a symbol of its own rather than the start of a
// lead-byte-sized chunk (same result on valid text).
void SpmTokenizer::merge_by_score(const std::string &text, std::vector<int32_t> &out) const {
    if (text.empty()) return;
    const std::string_view view(text);
    std::vector<Symbol> symbols;
    symbols.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        Symbol s;
        s.start = pos;
        s.len = utf8_char_length(text, pos);
        s.prev = static_cast<int>(symbols.size()) - 1;
        pos += s.len;
        s.next = pos == text.size() ? -1 : static_cast<int>(symbols.size()) + 1;
        symbols.push_back(s);
    }

    std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
    const auto try_add = [&](int left, int right) {
        if (left < 0 || right < 0) return;
        const Symbol &l = symbols[static_cast<size_t>(left)];
        const Symbol &r = symbols[static_cast<size_t>(right)];
        const int32_t id = vocab_.find(view.substr(l.start, l.len + r.len));
        if (id < 0) return;
        queue.push(Bigram{scores_[static_cast<size_t>(id)], left, right, l.len + r.len});
    };
    for (size_t i = 1; i < symbols.size(); ++i) try_add(static_cast<int>(i) - 1, static_cast<int>(i));

    while (!queue.empty()) {
        const Bigram top = queue.top();
        queue.pop();
        Symbol &left = symbols[static_cast<size_t>(top.left)];
        Symbol &right = symbols[static_cast<size_t>(top.right)];
        // Skip pairs that an earlier merge changed.
        if (left.len == 0 || right.len == 0 || left.len + right.len != top.len || left.next != top.right) continue;
        left.len += right.len;
        right.len = 0;
        left.next = right.next;
        if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = top.left;
        try_add(left.prev, top.left);
        try_add(top.left, left.next);
    }

    const std::vector<int32_t> &byte_ids = vocab_.byte_token_ids();
    for (int i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
        const Symbol &s = symbols[static_cast<size_t>(i)];
        const int32_t id = vocab_.find(view.substr(s.start, s.len));
        if (id >= 0) {
            out.push_back(id);
            continue;
        }
        // Not a piece: byte fallback, else the unknown token (sentencepiece without fallback).
        for (size_t k = 0; k < s.len; ++k) {
            const int32_t byte_id = byte_ids[static_cast<uint8_t>(text[s.start + k])];
            if (byte_id >= 0) {
                out.push_back(byte_id);
            } else if (unk_ >= 0) {
                out.push_back(unk_);
                break;
            }
        }
    }
}

bool SpmTokenizer::is_control(int32_t id) const {
    return vocab_.contains(id) && vocab_.type(id) == TokenType::Control;
}

bool SpmTokenizer::is_special_for_decode(int32_t id) const {
    const TokenType type = vocab_.type(id);
    return type == TokenType::Control || type == TokenType::Unknown;
}

std::string SpmTokenizer::normal_piece(int32_t id) const {
    switch (vocab_.type(id)) {
    case TokenType::Normal:
    case TokenType::UserDefined: return unescape_spaces(vocab_.text(id));
    case TokenType::Byte: {
        const int byte = TokenVocab::parse_byte_token(vocab_.text(id));
        return byte >= 0 ? std::string(1, static_cast<char>(byte)) : std::string();
    }
    default: return std::string();  // control, unknown, unused
    }
}

std::string SpmTokenizer::piece(int32_t id) const {
    if (!vocab_.contains(id)) return std::string();
    return normal_piece(id);
}

std::string SpmTokenizer::decode(const std::vector<int32_t> &ids, bool skip_special) const {
    std::string out;
    bool first = true;
    for (const int32_t id : ids) {
        if (!vocab_.contains(id)) continue;
        std::string text;
        if (is_special_for_decode(id)) {
            if (skip_special) continue;
            text = vocab_.text(id);
        } else {
            text = normal_piece(id);
        }
        // The dummy prefix shows up as a space at the start of the first piece only
        // (llama.cpp's detokenize lstrip; HF's Strip decoder).
        if (first && add_dummy_prefix_ && !text.empty() && text[0] == ' ') text.erase(0, 1);
        first = false;
        out += text;
    }
    return out;
}

}  // namespace llmrt
