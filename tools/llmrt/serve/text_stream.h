// Turns a generation's token pieces into text that is safe to send: a piece may end inside a
// UTF-8 character, and text may be the start of a stop string, so both are held back until the
// next pieces decide. A stop string ends the text before it (it is not sent).
#pragma once

#include <string>
#include <vector>

namespace cli::serve {

class TextStream {
public:
    explicit TextStream(std::vector<std::string> stop_strings);

    // Appends a token's piece and returns the text that can be sent now.
    std::string push(const std::string &piece);
    // True once a stop string appeared; push then returns the text before it, and nothing after.
    bool stopped() const { return stopped_; }
    // The held-back rest, at the end of a generation that did not stop on a stop string.
    std::string flush();

private:
    size_t safe_length() const;

    std::vector<std::string> stops_;
    std::string pending_;  // received, not yet sent
    bool stopped_ = false;
};

}  // namespace cli::serve
