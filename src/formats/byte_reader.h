// A bounds-checked little-endian cursor over untrusted bytes (a mapped file). Every read checks
// the remaining length first and throws Error(Status::Format) naming the file, the item being
// read and the offset, so a truncated or corrupted file yields a message, never a wild read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace llmrt {

class ByteReader {
public:
    ByteReader(const uint8_t *data, size_t size, std::string file)
        : data_(data), size_(size), file_(std::move(file)) {}

    size_t pos() const { return pos_; }
    size_t size() const { return size_; }
    size_t remaining() const { return size_ - pos_; }
    const std::string &file() const { return file_; }

    // Names what is being read ("metadata key #3"), for truncation messages.
    void set_context(std::string what) { context_ = std::move(what); }
    const std::string &context() const { return context_; }

    uint8_t u8();
    uint16_t u16();
    uint32_t u32();
    uint64_t u64();
    int8_t i8() { return static_cast<int8_t>(u8()); }
    int16_t i16() { return static_cast<int16_t>(u16()); }
    int32_t i32() { return static_cast<int32_t>(u32()); }
    int64_t i64() { return static_cast<int64_t>(u64()); }
    float f32();
    double f64();
    // A uint64 length followed by that many bytes; the length is checked against the file.
    std::string string();
    void skip(size_t n);

    // Throws Error(Status::Format) with "<file>: <message>".
    [[noreturn]] void fail_format(const std::string &message) const;

private:
    void need(size_t n) const;
    uint64_t little_endian(size_t n);

    const uint8_t *data_;
    size_t size_;
    size_t pos_ = 0;
    std::string file_;
    std::string context_ = "header";
};

}  // namespace llmrt
