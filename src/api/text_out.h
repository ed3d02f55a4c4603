// Text handed out through a caller's buffer: the one rule for every byte length of llmrt.h.
#pragma once

#include <cstring>
#include <string>

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

}  // namespace llmrt
