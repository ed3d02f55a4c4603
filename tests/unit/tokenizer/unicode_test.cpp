// UTF-8 helpers, the GPT-2 byte map and NFC (against Python's unicodedata).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tokenizer/unicode.h"

namespace llmrt {
namespace {

std::string utf8(const std::vector<uint32_t> &cps) {
    std::string s;
    for (const uint32_t cp : cps) utf8_append(s, cp);
    return s;
}

TEST(Utf8, DecodesValidAndRejectsInvalid) {
    uint32_t cp = 0;
    EXPECT_EQ(utf8_decode("A", 0, cp), 1u);
    EXPECT_EQ(cp, 0x41u);
    EXPECT_EQ(utf8_decode("\xc3\xa9", 0, cp), 2u);
    EXPECT_EQ(cp, 0xE9u);
    EXPECT_EQ(utf8_decode("\xf0\x9f\xa6\x99", 0, cp), 4u);
    EXPECT_EQ(cp, 0x1F999u);
    for (const char *bad : {"\x80", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                            "\xf5\x80\x80\x80", "\xff", "\xc3", "\xe2\x96", "\xf0\x9f\xa6", "\xc3\x41"}) {
        EXPECT_EQ(utf8_decode(bad, 0, cp), 0u) << bad;
    }
    EXPECT_EQ(utf8_valid_prefix("ab\xc3\xa9\xff" "cd"), 4u);
    EXPECT_EQ(utf8_valid_prefix(""), 0u);
    for (uint32_t c : {0x0u, 0x7Fu, 0x80u, 0x7FFu, 0x800u, 0xFFFFu, 0x10000u, 0x10FFFFu}) {
        const std::string s = utf8({c});
        ASSERT_EQ(utf8_decode(s, 0, cp), s.size());
        EXPECT_EQ(cp, c);
    }
}

TEST(ByteLevelMap, IsABijectionOntoPrintableCharacters) {
    std::set<std::string> seen;
    for (int b = 0; b < 256; ++b) {
        const std::string &text = byte_to_unicode(static_cast<uint8_t>(b));
        uint32_t cp = 0;
        ASSERT_EQ(utf8_decode(text, 0, cp), text.size());
        EXPECT_EQ(unicode_to_byte(cp), b);
        seen.insert(text);
    }
    EXPECT_EQ(seen.size(), 256u);
    EXPECT_EQ(byte_to_unicode(' '), "\xc4\xa0");    // Ġ
    EXPECT_EQ(byte_to_unicode('\n'), "\xc4\x8a");   // Ċ
    EXPECT_EQ(byte_to_unicode('A'), "A");
    EXPECT_EQ(unicode_to_byte(0x2581), -1);
    EXPECT_EQ(unicode_to_byte(0x144), -1);
}

TEST(Nfc, HandPickedCases) {
    const std::pair<const char *, const char *> cases[] = {
        {"e\u0301", "\u00e9"},
        {"\u212b", "\u00c5"},  // singleton decomposition
        {"\u1e0b\u0323", "\u1e0d\u0307"},  // reordering, then composition with the second mark
        {"\u1100\u1161\u11a8", "\uac01"},  // Hangul LVT
        {"\uac00\u11a8", "\uac01"},        // Hangul LV + T
        {"a\u0301\u0302", "\u00e1\u0302"},
        {"\u0958", "\u0915\u093c"},  // composition exclusion
        {"o\u0308\u0304", "\u022b"},
        {"\u0b47\u0b3e", "\u0b4b"},  // two starters compose
        {"\u0301e", "\u0301e"},      // leading combining mark
        {"q\u0307\u0323", "q\u0323\u0307"},
        {"\U0001d15e", "\U0001d157\U0001d165"},
        {"x\u0345\u0300", "x\u0300\u0345"},
        {"plain ascii", "plain ascii"},
        {"", ""},
    };
    for (const auto &[input, expected] : cases) EXPECT_EQ(nfc_normalize(input), expected) << input;
}

TEST(Nfc, InvalidBytesPassThroughAndBlockComposition) {
    EXPECT_EQ(nfc_normalize("e\xff\xcc\x81"), "e\xff\xcc\x81");
    EXPECT_EQ(nfc_normalize("\xe2\x96" "e\xcc\x81"), "\xe2\x96\xc3\xa9");
    EXPECT_EQ(nfc_normalize("\xcc"), "\xcc");
}

TEST(Nfc, MatchesPythonUnicodedata) {
    static const uint32_t data[] = {
#include "nfc_cases.inc"
    };
    size_t i = 0;
    size_t n_cases = 0;
    const size_t n = sizeof(data) / sizeof(data[0]);
    while (i < n) {
        std::vector<uint32_t> input, expected;
        while (data[i] != 0) input.push_back(data[i++]);
        ++i;
        while (data[i] != 0) expected.push_back(data[i++]);
        ++i;
        ASSERT_EQ(nfc_normalize(utf8(input)), utf8(expected)) << "case " << n_cases;
        ++n_cases;
    }
    EXPECT_GT(n_cases, 2000u);
}

}  // namespace
}  // namespace llmrt
