// UTF-8 helpers, the GPT-2 byte <-> unicode mapping and NFC normalization.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace llmrt {

// Decodes the valid UTF-8 character at s[pos] (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF). Returns its byte length and sets cp, or returns 0 when the bytes there are invalid.
size_t utf8_decode(std::string_view s, size_t pos, uint32_t &cp);

// Length of the character at s[pos] (pos < s.size()): its UTF-8 length when valid, else 1, so
// an invalid byte is a character of its own and never swallows the bytes after it.
size_t utf8_char_length(std::string_view s, size_t pos);

// Length of the longest valid UTF-8 prefix of s.
size_t utf8_valid_prefix(std::string_view s);

void utf8_append(std::string &out, uint32_t cp);

// GPT-2's reversible map from bytes to printable characters (byte-level BPE vocabularies are
// written in it): the UTF-8 text of the character byte b maps to.
const std::string &byte_to_unicode(uint8_t b);
// The byte a mapped character stands for, or -1 when cp is not one of the 256 characters.
int unicode_to_byte(uint32_t cp);

// Unicode canonical composition (NFC). Invalid UTF-8 bytes are passed through unchanged and
// act as boundaries: characters never combine across them.
std::string nfc_normalize(std::string_view text);

}  // namespace llmrt
