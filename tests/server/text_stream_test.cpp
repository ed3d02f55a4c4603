// TextStream (tools/llmrt/serve/text_stream.cpp): what the server sends of a generation's pieces.
#include "serve/text_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using cli::serve::TextStream;

namespace {

// Pushes each piece and returns what was sent after each one.
std::vector<std::string> feed(TextStream &s, const std::vector<std::string> &pieces) {
    std::vector<std::string> out;
    for (const std::string &p : pieces) out.push_back(s.push(p));
    return out;
}

}  // namespace

TEST(TextStream, HoldsBackAnIncompleteUtf8Character) {
    TextStream s({});
    // "é" is C3 A9; "😀" is F0 9F 98 80.
    EXPECT_EQ(feed(s, {"caf\xC3", "\xA9!", "\xF0", "\x9F\x98", "\x80"}),
              (std::vector<std::string>{"caf", "\xC3\xA9!", "", "", "\xF0\x9F\x98\x80"}));
    EXPECT_EQ(s.flush(), "");
}

TEST(TextStream, FlushGivesTheHeldBackRest) {
    TextStream s({"STOP"});
    EXPECT_EQ(s.push("a ST"), "a ");
    EXPECT_EQ(s.flush(), "ST");
    EXPECT_FALSE(s.stopped());
}

TEST(TextStream, StopStringAcrossPiecesIsNotSent) {
    TextStream s({"\nUser:"});
    EXPECT_EQ(feed(s, {" Hi", "\n", "Us", "er", ": more"}),
              (std::vector<std::string>{" Hi", "", "", "", ""}));
    EXPECT_TRUE(s.stopped());
    EXPECT_EQ(s.push("later"), "");
}

TEST(TextStream, FalseStartIsSentOnceDecided) {
    TextStream s({"\nUser:"});
    EXPECT_EQ(s.push("a\nUs"), "a");
    EXPECT_EQ(s.push("ually"), "\nUsually");
    EXPECT_FALSE(s.stopped());
}

TEST(TextStream, TheEarliestStopWins) {
    TextStream s({"cd", "b"});
    EXPECT_EQ(s.push("abcd"), "a");
    EXPECT_TRUE(s.stopped());
}

TEST(TextStream, StopAtTheStart) {
    TextStream s({"x"});
    EXPECT_EQ(s.push("xyz"), "");
    EXPECT_TRUE(s.stopped());
}
