#include "tokenizer/normalizer.h"

#include "tokenizer/unicode.h"

namespace llmrt {

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t hit = from.empty() ? std::string_view::npos : text.find(from, pos);
        if (hit == std::string_view::npos) break;
        out.append(text.substr(pos, hit - pos)).append(to);
        pos = hit + from.size();
    }
    out.append(text.substr(pos));
    return out;
}

namespace {

// Regex replacement over the valid UTF-8 runs; invalid bytes are copied unchanged.
std::string replace_regex(const Regex &regex, std::string_view text, std::string_view to) {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t valid = utf8_valid_prefix(text.substr(pos));
        if (valid == 0) {
            out += text[pos++];
            continue;
        }
        const std::string_view run = text.substr(pos, valid);
        size_t copied = 0;
        for (const auto &[begin, end] : regex.find_all(run)) {
            out.append(run.substr(copied, begin - copied)).append(to);
            copied = end;
        }
        out.append(run.substr(copied));
        pos += valid;
    }
    return out;
}

}  // namespace

std::string apply_normalizer(const std::vector<NormalizerStep> &steps, std::string_view text, bool skip_prepend) {
    std::string s(text);
    for (const NormalizerStep &step : steps) {
        switch (step.kind) {
        case NormalizerStep::Kind::Nfc:
            s = nfc_normalize(s);
            break;
        case NormalizerStep::Kind::Prepend:
            if (!skip_prepend && !s.empty()) s.insert(0, step.text);
            break;
        case NormalizerStep::Kind::Replace:
            s = step.regex ? replace_regex(*step.regex, s, step.text) : replace_all(s, step.literal, step.text);
            break;
        }
    }
    return s;
}

}  // namespace llmrt
