#include "formats/byte_reader.h"

#include <cstring>

#include "core/error.h"

namespace llmrt {

void ByteReader::fail_format(const std::string &message) const {
    fail(Status::Format, file_ + ": " + message);
}

void ByteReader::need(size_t n) const {
    if (n > remaining()) {
        fail_format("file ends inside " + context_ + " (needs " + std::to_string(n) + " bytes at offset " +
                    std::to_string(pos_) + ", file is " + std::to_string(size_) + " bytes)");
    }
}

// Assembled byte by byte: independent of host byte order and of the alignment of the mapping.
uint64_t ByteReader::little_endian(size_t n) {
    need(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
}

uint8_t ByteReader::u8() { return static_cast<uint8_t>(little_endian(1)); }
uint16_t ByteReader::u16() { return static_cast<uint16_t>(little_endian(2)); }
uint32_t ByteReader::u32() { return static_cast<uint32_t>(little_endian(4)); }
uint64_t ByteReader::u64() { return little_endian(8); }

float ByteReader::f32() {
    const uint32_t bits = u32();
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

double ByteReader::f64() {
    const uint64_t bits = u64();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
}

std::string ByteReader::string() {
    const uint64_t length = u64();
    if (length > remaining()) {
        fail_format("string length " + std::to_string(length) + " in " + context_ + " at offset " +
                    std::to_string(pos_ - 8) + " exceeds the " + std::to_string(remaining()) +
                    " bytes left in the file");
    }
    std::string s(reinterpret_cast<const char *>(data_ + pos_), static_cast<size_t>(length));
    pos_ += static_cast<size_t>(length);
    return s;
}

void ByteReader::skip(size_t n) {
    need(n);
    pos_ += n;
}

}  // namespace llmrt
