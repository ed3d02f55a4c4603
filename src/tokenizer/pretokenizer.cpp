#include "tokenizer/pretokenizer.h"

#include <algorithm>

#include "tokenizer/normalizer.h"
#include "tokenizer/unicode.h"

namespace llmrt {

const std::string &gpt2_pretokenizer_pattern() {
    static const std::string pattern =
        R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
    return pattern;
}

namespace {

struct Segment {
    size_t begin;
    size_t end;
    bool is_match;
};

std::vector<Segment> find_segments(const PreTokenizerStep &step, std::string_view text) {
    std::vector<std::pair<size_t, size_t>> matches;
    if (step.regex) {
        matches = step.regex->find_all(text);
    } else if (!step.literal.empty()) {
        for (size_t pos = text.find(step.literal); pos != std::string_view::npos;
             pos = text.find(step.literal, pos + step.literal.size())) {
            matches.emplace_back(pos, pos + step.literal.size());
        }
    }
    std::vector<Segment> segments;
    size_t covered = 0;
    for (const auto &[begin, end] : matches) {
        if (begin > covered) segments.push_back({covered, begin, false});
        segments.push_back({begin, end, true});
        covered = end;
    }
    if (covered < text.size()) segments.push_back({covered, text.size(), false});
    if (step.invert) {
        for (Segment &s : segments) s.is_match = !s.is_match;
    }
    return segments;
}

// HF's NormalizedString::split for one behaviour (matches are the delimiters).
std::vector<std::pair<size_t, size_t>> apply_behavior(const std::vector<Segment> &segments, SplitBehavior behavior) {
    std::vector<std::pair<size_t, size_t>> out;
    bool previous_match = false;
    switch (behavior) {
    case SplitBehavior::Removed:
        for (const Segment &s : segments) {
            if (!s.is_match) out.emplace_back(s.begin, s.end);
        }
        break;
    case SplitBehavior::Isolated:
        for (const Segment &s : segments) out.emplace_back(s.begin, s.end);
        break;
    case SplitBehavior::MergedWithPrevious:
        for (const Segment &s : segments) {
            if (s.is_match && !previous_match && !out.empty()) {
                out.back().second = s.end;
            } else {
                out.emplace_back(s.begin, s.end);
            }
            previous_match = s.is_match;
        }
        break;
    case SplitBehavior::MergedWithNext:
        for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
            if (it->is_match && !previous_match && !out.empty()) {
                out.back().first = it->begin;
            } else {
                out.emplace_back(it->begin, it->end);
            }
            previous_match = it->is_match;
        }
        std::reverse(out.begin(), out.end());
        break;
    case SplitBehavior::Contiguous:
        for (size_t i = 0; i < segments.size(); ++i) {
            const Segment &s = segments[i];
            if (i > 0 && s.is_match == previous_match) {
                out.back().second = s.end;
            } else {
                out.emplace_back(s.begin, s.end);
            }
            previous_match = s.is_match;
        }
        break;
    }
    return out;
}

// Splits one piece. The pattern only ever sees valid UTF-8: each maximal run of invalid bytes
// becomes a piece of its own and separates the runs around it.
void split_piece(const PreTokenizerStep &step, std::string_view text, std::vector<std::string> &out) {
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t valid = utf8_valid_prefix(text.substr(pos));
        if (valid == 0) {
            size_t end = pos + 1;
            while (end < text.size() && utf8_valid_prefix(text.substr(end, 4)) == 0) ++end;
            out.emplace_back(text.substr(pos, end - pos));
            pos = end;
            continue;
        }
        const std::string_view run = text.substr(pos, valid);
        for (const auto &[begin, end] : apply_behavior(find_segments(step, run), step.behavior)) {
            if (end > begin) out.emplace_back(run.substr(begin, end - begin));
        }
        pos += valid;
    }
}

std::string to_byte_level(std::string_view text) {
    std::string out;
    out.reserve(text.size() * 2);
    for (const char c : text) out += byte_to_unicode(static_cast<uint8_t>(c));
    return out;
}

void byte_level_piece(const PreTokenizerStep &step, std::string piece, std::vector<std::string> &out) {
    if (step.add_prefix_space && (piece.empty() || piece[0] != ' ')) piece.insert(0, 1, ' ');
    if (!step.regex) {
        out.push_back(to_byte_level(piece));
        return;
    }
    std::vector<std::string> parts;
    split_piece(step, piece, parts);
    for (const std::string &part : parts) out.push_back(to_byte_level(part));
}

// HF Metaspace: the prefix is only added when the piece does not already start with it.
void metaspace_piece(const PreTokenizerStep &step, const std::string &piece, bool first,
                     std::vector<std::string> &out) {
    std::string s = replace_all(piece, " ", step.replacement);
    const bool prepend = step.prepend == PreTokenizerStep::Prepend::Always ||
                         (step.prepend == PreTokenizerStep::Prepend::First && first);
    if (prepend && s.compare(0, step.replacement.size(), step.replacement) != 0) s.insert(0, step.replacement);
    if (!step.split) {
        out.push_back(std::move(s));
        return;
    }
    // MergedWithNext on the replacement: each piece starts at a replacement character.
    size_t start = 0;
    for (size_t pos = s.find(step.replacement, 1); pos != std::string::npos;
         pos = s.find(step.replacement, pos + step.replacement.size())) {
        if (pos > start) out.push_back(s.substr(start, pos - start));
        start = pos;
    }
    if (start < s.size()) out.push_back(s.substr(start));
}

}  // namespace

std::vector<std::string> apply_pretokenizer(const std::vector<PreTokenizerStep> &steps, std::string text,
                                            bool at_start) {
    std::vector<std::string> pieces;
    if (text.empty()) return pieces;
    pieces.push_back(std::move(text));
    for (const PreTokenizerStep &step : steps) {
        std::vector<std::string> next;
        next.reserve(pieces.size());
        for (size_t i = 0; i < pieces.size(); ++i) {
            switch (step.kind) {
            case PreTokenizerStep::Kind::ByteLevel: byte_level_piece(step, std::move(pieces[i]), next); break;
            case PreTokenizerStep::Kind::Split: split_piece(step, pieces[i], next); break;
            case PreTokenizerStep::Kind::Metaspace: metaspace_piece(step, pieces[i], at_start && i == 0, next); break;
            }
        }
        pieces.clear();
        for (std::string &p : next) {
            if (!p.empty()) pieces.push_back(std::move(p));
        }
    }
    return pieces;
}

}  // namespace llmrt
