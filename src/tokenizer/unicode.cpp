#include "tokenizer/unicode.h"

#include <algorithm>
#include <array>
#include <vector>

namespace llmrt {

size_t utf8_decode(std::string_view s, size_t pos, uint32_t &cp) {
    if (pos >= s.size()) return 0;
    const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[pos + i]); };
    const uint8_t b0 = byte(0);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    size_t len = 0;
    uint32_t value = 0;
    uint32_t min_value = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2, value = b0 & 0x1F, min_value = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3, value = b0 & 0x0F, min_value = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4, value = b0 & 0x07, min_value = 0x10000;
    } else {
        return 0;
    }
    if (s.size() - pos < len) return 0;
    for (size_t i = 1; i < len; ++i) {
        const uint8_t b = byte(i);
        if ((b & 0xC0) != 0x80) return 0;
        value = (value << 6) | (b & 0x3F);
    }
    if (value < min_value || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
    cp = value;
    return len;
}

size_t utf8_char_length(std::string_view s, size_t pos) {
    uint32_t cp = 0;
    const size_t n = utf8_decode(s, pos, cp);
    return n == 0 ? 1 : n;
}

size_t utf8_valid_prefix(std::string_view s) {
    size_t pos = 0;
    uint32_t cp = 0;
    while (pos < s.size()) {
        const size_t n = utf8_decode(s, pos, cp);
        if (n == 0) break;
        pos += n;
    }
    return pos;
}

void utf8_append(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

namespace {

// GPT-2's bytes_to_unicode(): printable Latin-1 bytes map to themselves, the other 68 bytes to
// U+0100.. in byte order, so every byte becomes a visible, non-space character.
std::array<uint32_t, 256> make_byte_to_codepoint() {
    std::array<uint32_t, 256> map{};
    const auto is_printable = [](int b) {
        return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) map[b] = is_printable(b) ? static_cast<uint32_t>(b) : next++;
    return map;
}

const std::array<uint32_t, 256> &byte_to_codepoint() {
    static const std::array<uint32_t, 256> map = make_byte_to_codepoint();
    return map;
}

}  // namespace

const std::string &byte_to_unicode(uint8_t b) {
    static const std::array<std::string, 256> texts = [] {
        std::array<std::string, 256> t;
        for (int i = 0; i < 256; ++i) utf8_append(t[i], byte_to_codepoint()[i]);
        return t;
    }();
    return texts[b];
}

int unicode_to_byte(uint32_t cp) {
    // All 256 mapped characters are below U+0144.
    static const std::array<int16_t, 0x144> reverse = [] {
        std::array<int16_t, 0x144> r;
        r.fill(-1);
        for (int b = 0; b < 256; ++b) r[byte_to_codepoint()[b]] = static_cast<int16_t>(b);
        return r;
    }();
    return cp < reverse.size() ? reverse[cp] : -1;
}

}  // namespace llmrt
