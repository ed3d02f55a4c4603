// Assembles token bytes into text pieces for streaming: a piece never ends inside a UTF-8
// character, and text that might be the start of a stop string is held back until it is not.
#pragma once

#include <string>
#include <vector>

namespace llmrt {

class TextStream {
public:
    explicit TextStream(std::vector<std::string> stop_strings = {});

    // Adds a token's bytes. Returns the text that is safe to emit now.
    std::string push(const std::string &bytes);
    // True once a stop string has appeared; the text before it has been returned by push.
    bool stopped() const { return stopped_; }
    // Whatever is still held back (an incomplete character, a partial stop string) at the end.
    std::string flush();

private:
    size_t complete_utf8_prefix(const std::string &s) const;
    size_t held_for_stop_strings(const std::string &s) const;

    std::vector<std::string> stops_;
    std::string pending_;
    bool stopped_ = false;
};

}  // namespace llmrt
