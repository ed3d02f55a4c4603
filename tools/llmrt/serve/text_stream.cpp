#include "text_stream.h"

#include <algorithm>

namespace cli::serve {

namespace {

// Bytes at the end of s that begin a UTF-8 character whose continuation bytes have not come yet.
size_t incomplete_utf8_tail(const std::string &s) {
    const size_t n = s.size();
    for (size_t back = 1; back <= std::min<size_t>(3, n); ++back) {
        const unsigned char c = static_cast<unsigned char>(s[n - back]);
        if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
        const size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        return need > back ? back : 0;
    }
    return 0;
}

// Length of the longest suffix of s that is a proper prefix of stop.
size_t partial_stop_tail(const std::string &s, const std::string &stop) {
    for (size_t len = std::min(s.size(), stop.size() - 1); len > 0; --len) {
        if (s.compare(s.size() - len, len, stop, 0, len) == 0) return len;
    }
    return 0;
}

}  // namespace

TextStream::TextStream(std::vector<std::string> stop_strings) : stops_(std::move(stop_strings)) {}

size_t TextStream::safe_length() const {
    size_t hold = incomplete_utf8_tail(pending_);
    for (const std::string &stop : stops_) hold = std::max(hold, partial_stop_tail(pending_, stop));
    return pending_.size() - hold;
}

std::string TextStream::push(const std::string &piece) {
    if (stopped_) return "";
    pending_ += piece;
    // Only the pending text can hold a stop string's start: what was sent was not a prefix of one.
    size_t first = std::string::npos;
    for (const std::string &stop : stops_) first = std::min(first, pending_.find(stop));
    if (first != std::string::npos) {
        stopped_ = true;
        std::string out = pending_.substr(0, first);
        pending_.clear();
        return out;
    }
    const size_t n = safe_length();
    std::string out = pending_.substr(0, n);
    pending_.erase(0, n);
    return out;
}

std::string TextStream::flush() {
    std::string out;
    out.swap(pending_);
    return out;
}

}  // namespace cli::serve
