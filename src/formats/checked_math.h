// Overflow-checked arithmetic for sizes and offsets read from untrusted files: the functions
// report overflow instead of wrapping, so a crafted count can never turn into a small number.
#pragma once

#include <cstdint>

namespace llmrt {

template <class T>
inline bool checked_add(T a, T b, T &out) {
    return !__builtin_add_overflow(a, b, &out);
}

template <class T>
inline bool checked_mul(T a, T b, T &out) {
    return !__builtin_mul_overflow(a, b, &out);
}

inline bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Rounds v up to a multiple of a power-of-two alignment; false on overflow.
inline bool checked_align_up(uint64_t v, uint64_t alignment, uint64_t &out) {
    const uint64_t pad = (alignment - v % alignment) % alignment;
    return checked_add(v, pad, out);
}

}  // namespace llmrt
