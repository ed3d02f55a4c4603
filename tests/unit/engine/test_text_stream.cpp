#include <gtest/gtest.h>

#include "runtime/text_stream.h"

namespace llmrt {
namespace {

TEST(TextStream, HoldsBackIncompleteUtf8) {
    TextStream s;
    // "é" is C3 A9; "€" is E2 82 AC.
    EXPECT_EQ(s.push("a\xC3"), "a");
    EXPECT_EQ(s.push("\xA9"), "\xC3\xA9");
    EXPECT_EQ(s.push("\xE2\x82"), "");
    EXPECT_EQ(s.push("\xAC!"), "\xE2\x82\xAC!");
    EXPECT_EQ(s.flush(), "");
}

TEST(TextStream, InvalidBytesAreNotHeldForever) {
    TextStream s;
    EXPECT_EQ(s.push("\x80x"), "\x80x");  // stray continuation byte
    EXPECT_EQ(s.push("\xFF"), "\xFF");    // never a lead byte
    EXPECT_EQ(s.push("\xC3"), "");
    EXPECT_EQ(s.flush(), "\xC3");  // unfinished at the end: released as is
}

TEST(TextStream, StopStringIsCutAndNotEmitted) {
    TextStream s({"</s>", "\n\n"});
    EXPECT_EQ(s.push("Hello <"), "Hello ");
    EXPECT_EQ(s.push("/"), "");
    EXPECT_EQ(s.push("x"), "</x");  // not a stop string after all
    EXPECT_FALSE(s.stopped());
    EXPECT_EQ(s.push(" end\n"), " end");
    EXPECT_EQ(s.push("\nmore"), "");
    EXPECT_TRUE(s.stopped());
    EXPECT_EQ(s.push("ignored"), "");
    EXPECT_EQ(s.flush(), "");
}

TEST(TextStream, StopStringInsideOnePiece) {
    TextStream s({"STOP"});
    EXPECT_EQ(s.push("abcSTOPdef"), "abc");
    EXPECT_TRUE(s.stopped());
}

TEST(TextStream, PartialStopStringIsReleasedAtTheEnd) {
    TextStream s({"STOP"});
    EXPECT_EQ(s.push("abcST"), "abc");
    EXPECT_EQ(s.flush(), "ST");
}

}  // namespace
}  // namespace llmrt
