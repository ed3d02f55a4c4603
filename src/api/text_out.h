// Text and tokens handed out through a caller's buffer: the one rule for every length of llmrt.h.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"

namespace llmrt {

// Copies s (and a terminator when terminate) into buf; *length gets s's size even when it does
// not fit, so a caller can ask with capacity 0 (buf may be NULL then) and call again.
inline void copy_text_out(const std::string &s, char *buf, size_t capacity, size_t *length, bool terminate) {
    require(buf || capacity == 0, Status::InvalidArgument, "buf is NULL but capacity is not 0");
    *length = s.size();
    const size_t need = s.size() + (terminate ? 1 : 0);
    if (need > capacity)
        fail(Status::BufferTooSmall,
             "the text needs " + std::to_string(need) + " bytes; capacity is " + std::to_string(capacity));
    if (!s.empty()) std::memcpy(buf, s.data(), s.size());
    if (terminate) buf[s.size()] = '\0';
}

// Copies ids into tokens; *n_tokens gets their count even when they do not fit (capacity 0 asks).
inline void copy_tokens_out(const std::vector<int32_t> &ids, int32_t *tokens, int32_t capacity, int32_t *n_tokens) {
    require(capacity >= 0 && (tokens || capacity == 0), Status::InvalidArgument, "tokens is NULL or capacity is negative");
    require(ids.size() <= static_cast<size_t>(INT32_MAX), Status::InvalidArgument, "text is too long");
    *n_tokens = static_cast<int32_t>(ids.size());
    if (ids.size() > static_cast<size_t>(capacity))
        fail(Status::BufferTooSmall,
             "the text has " + std::to_string(ids.size()) + " tokens; capacity is " + std::to_string(capacity));
    std::copy(ids.begin(), ids.end(), tokens);
}

}  // namespace llmrt
