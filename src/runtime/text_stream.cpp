#include "runtime/text_stream.h"

#include <algorithm>

namespace llmrt {
namespace {

// Length of the UTF-8 sequence a lead byte starts; 0 for a continuation or invalid byte.
size_t sequence_length(unsigned char c) {
    if (c < 0x80) return 1;
    if ((c & 0xE0) == 0xC0) return 2;
    if ((c & 0xF0) == 0xE0) return 3;
    if ((c & 0xF8) == 0xF0) return 4;
    return 0;
}

}  // namespace

TextStream::TextStream(std::vector<std::string> stop_strings) {
    for (auto &s : stop_strings)
        if (!s.empty()) stops_.push_back(std::move(s));
}

size_t TextStream::complete_utf8_prefix(const std::string &s) const {
    // Only the last (at most 3) bytes can belong to an unfinished character.
    const size_t n = s.size();
    for (size_t back = 1; back <= std::min<size_t>(4, n); ++back) {
        const unsigned char c = static_cast<unsigned char>(s[n - back]);
        if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
        const size_t len = sequence_length(c);
        // An invalid byte or a finished sequence: everything can go out.
        return (len == 0 || len <= back) ? n : n - back;
    }
    return n;  // stray continuation bytes: nothing will complete them, emit as they are
}

size_t TextStream::held_for_stop_strings(const std::string &s) const {
    size_t hold = 0;
    for (const std::string &stop : stops_) {
        const size_t max_len = std::min(stop.size() - 1, s.size());
        for (size_t len = max_len; len > hold; --len)
            if (s.compare(s.size() - len, len, stop, 0, len) == 0) {
                hold = len;
                break;
            }
    }
    return hold;
}

std::string TextStream::push(const std::string &bytes) {
    if (stopped_) return "";
    pending_ += bytes;
    size_t cut = std::string::npos;
    for (const std::string &stop : stops_) cut = std::min(cut, pending_.find(stop));
    if (cut != std::string::npos) {
        stopped_ = true;
        std::string out = pending_.substr(0, cut);
        pending_.clear();
        return out;
    }
    size_t emit = std::min(complete_utf8_prefix(pending_), pending_.size() - held_for_stop_strings(pending_));
    std::string out = pending_.substr(0, emit);
    pending_.erase(0, emit);
    return out;
}

std::string TextStream::flush() {
    std::string out;
    if (!stopped_) out.swap(pending_);
    pending_.clear();
    return out;
}

}  // namespace llmrt
